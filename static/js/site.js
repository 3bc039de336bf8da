/* Rare Earth Quota Portal — small progressive enhancements; every page works without this file.
 * - focus the first invalid field after a form is re-rendered with errors (also after htmx swaps);
 * - sortable data tables (click or Enter/Space on a column heading);
 * - Chart.js charts drawn from <canvas data-chart="json-script-id"> (Chart.js is loaded only when needed);
 * - live countdowns: <time data-countdown="ISO" data-format="{d} … {h} … {m}" data-passed="…">.
 */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "zh-hans";

  function focusFirstError(root) {
    root = root || document;
    var field = root.querySelector('[aria-invalid="true"]');
    if (!field) {
      var list = root.querySelector(".errorlist");
      if (list) {
        var box = list.closest("p, div, td, li, fieldset, .field") || list.parentElement;
        field = box && box.querySelector("input:not([type=hidden]), select, textarea");
        if (!field) {
          var next = list.nextElementSibling;
          while (next && !field) {
            field = next.matches("input:not([type=hidden]), select, textarea") ? next : next.querySelector("input:not([type=hidden]), select, textarea");
            next = next.nextElementSibling;
          }
        }
      }
    }
    if (field && typeof field.focus === "function") {
      field.focus();
      if (field.scrollIntoView) field.scrollIntoView({ block: "center" });
    }
  }

  /* ---- sortable tables ---- */
  function cellValue(row, index) {
    var cell = row.children[index];
    if (!cell) return "";
    var raw = cell.getAttribute("data-sort");
    if (raw === null) raw = cell.textContent.trim();
    var n = raw.replace(/[,\s%]/g, "");
    if (/^-?\d+(\.\d+)?$/.test(n)) return parseFloat(n);
    return raw;
  }
  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    var collator = new Intl.Collator(lang, { numeric: true });
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index), r;
      if (typeof x === "number" && typeof y === "number") r = x - y;
      else r = collator.compare(String(x), String(y));
      return asc ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  }
  function makeSortable(table) {
    if (table.dataset.sortReady || !table.tHead || !table.tBodies[0] || table.tBodies[0].rows.length < 2) return;
    if (table.hasAttribute("data-nosort") || table.querySelector("tbody input, tbody select, tbody textarea")) return;
    if (table.tHead.rows.length !== 1) return;
    table.dataset.sortReady = "1";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      if (th.colSpan > 1 || !th.textContent.trim() || th.querySelector("a, button, input")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  }

  /* ---- charts ---- */
  function fmt(v, unit) {
    if (v === null || v === undefined) return "—";
    return Number(v).toLocaleString(lang, unit === "t" ? { minimumFractionDigits: 3, maximumFractionDigits: 3 } : {});
  }
  function drawCharts(root) {
    var canvases = (root || document).querySelectorAll("canvas[data-chart]");
    if (!canvases.length) return;
    if (!window.Chart) { loadChartJs(function () { drawCharts(root); }); return; }
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    Array.prototype.forEach.call(canvases, function (canvas) {
      if (canvas.dataset.drawn) return;
      var script = document.getElementById(canvas.getAttribute("data-chart"));
      if (!script) return;
      var spec = JSON.parse(script.textContent);
      var stacked = !!spec.stacked;
      var options = {
        responsive: true, maintainAspectRatio: false, animation: reduced ? false : { duration: 300 },
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (ctx) {
            var v = spec.horizontal ? ctx.parsed.x : ctx.parsed.y;
            return ctx.dataset.label + ": " + fmt(v, spec.unit);
          } } }
        },
        scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true } }
      };
      canvas.dataset.drawn = "1";
      canvas._chart = new window.Chart(canvas, { type: spec.type, data: spec.data, options: options });
    });
  }
  var chartJsCallbacks = null;
  function loadChartJs(done) {
    if (chartJsCallbacks) { chartJsCallbacks.push(done); return; }
    chartJsCallbacks = [done];
    var me = document.querySelector("script[data-chartjs]");
    if (!me) return;
    var s = document.createElement("script");
    s.src = me.getAttribute("data-chartjs");
    s.onload = function () { chartJsCallbacks.forEach(function (f) { f(); }); };
    document.head.appendChild(s);
  }

  /* ---- countdowns to Beijing-time deadlines ---- */
  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), function (el) {
      var left = Date.parse(el.getAttribute("data-countdown")) - now;
      if (isNaN(left)) return;
      if (left <= 0) { el.textContent = el.getAttribute("data-passed") || ""; el.classList.add("passed"); return; }
      var m = Math.floor(left / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60);
      el.textContent = (el.getAttribute("data-format") || "{d} {h} {m}")
        .replace("{d}", d).replace("{h}", h).replace("{m}", m % 60);
    });
  }

  /* ---- "remove this line" buttons in line editors (no inline handlers: the CSP forbids them) ---- */
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest && ev.target.closest("[data-remove-row]");
    if (!button) return;
    ev.preventDefault();
    var row = button.closest("tr, li, .row");
    if (!row) return;
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    var focusable = next && next.querySelector("input, select, textarea, button");
    if (focusable) focusable.focus();
  });

  function enhance(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("table.data"), makeSortable);
    drawCharts(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    focusFirstError(document);
    tick();
    if (document.querySelector("[data-countdown]")) setInterval(tick, 30000);
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    enhance(ev.target);
    focusFirstError(ev.target);
    // a line added to the report editor: the cursor goes to its first field
    if (ev.target.matches && ev.target.matches("tbody[id$='-rows']")) {
      var row = ev.target.lastElementChild;
      var first = row && row.querySelector("select, input:not([type=hidden])");
      if (first) first.focus();
    }
  });
  window.quotaPortal = { focusFirstError: focusFirstError, drawCharts: drawCharts };
})();

/* Selects marked data-autosubmit submit their form on change (the language switch); no inline handlers,
 * so the Content-Security-Policy can forbid inline script. */
document.addEventListener("change", function (ev) {
  var el = ev.target;
  if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
});

/* Main menu: one drop-down open at a time; a click elsewhere or Escape closes it; the current page's entry is
 * marked aria-current (its menu is then underlined). */
(function () {
  "use strict";
  function groups() { return document.querySelectorAll("nav.mainnav details.navgroup"); }
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    if (!d.matches || !d.matches("details.navgroup") || !d.open) return;
    groups().forEach(function (g) { if (g !== d) g.open = false; });
  }, true);
  document.addEventListener("click", function (ev) {
    if (ev.target.closest && ev.target.closest("details.navgroup")) return;
    groups().forEach(function (g) { g.open = false; });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    groups().forEach(function (g) {
      if (g.open) { g.open = false; g.querySelector("summary").focus(); }
    });
  });
  document.addEventListener("DOMContentLoaded", function () {
    var here = location.pathname + location.search, best = null;
    document.querySelectorAll("nav.mainnav .navmenu a").forEach(function (a) {
      var href = a.getAttribute("href");
      if (href === here || (!best && href === location.pathname)) best = a;
    });
    if (best) best.setAttribute("aria-current", "page");
  });
})();

/* Irreversible acts ask first: a form with data-confirm="summary" submits only after the person confirms the
 * summary of what will happen (approving a plan, a batch or a penalty; re-opening a certified month). */
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (!form || !form.getAttribute) return;
  var text = form.getAttribute("data-confirm");
  if (text && !window.confirm(text)) ev.preventDefault();
}, true);
