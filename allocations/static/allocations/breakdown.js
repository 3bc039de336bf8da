// Live sum check of the group breakdown form: counts in thousandths of a tonne (integers, no float drift).
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("breakdown-form");
    if (!form) return;
    var target = Math.round(parseFloat(form.dataset.target) * 1000);
    var out = document.getElementById("share-sum");
    var diff = document.getElementById("share-diff");
    function update() {
      var sum = 0;
      form.querySelectorAll("input.share:not([disabled])").forEach(function (input) {
        var v = parseFloat(input.value);
        if (!isNaN(v)) sum += Math.round(v * 1000);
      });
      out.textContent = (sum / 1000).toFixed(3);
      var d = target - sum;
      diff.className = "badge " + (d === 0 ? "badge-ok" : "badge-error");
      diff.textContent = d === 0 ? form.dataset.msgMatches
        : (d > 0 ? form.dataset.msgLeft : form.dataset.msgOver) + " " + (Math.abs(d) / 1000).toFixed(3);
    }
    form.addEventListener("input", update);
    update();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
