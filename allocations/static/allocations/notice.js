// Print button of the issuance notice (no inline script: the CSP allows scripts from this origin only).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
