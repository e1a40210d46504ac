// Operator table: sort by column, filter by status, search; findings: search and filters.
// Rows are only reordered and hidden; no text from the model is ever parsed as HTML.
(function () {
  "use strict";
  var table = document.getElementById("op-table");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var search = document.getElementById("op-search");
    var shown = document.getElementById("op-shown");
    var boxes = document.querySelectorAll("#operators .filters input[type=checkbox]");

    var cellKey = function (row, index, kind) {
      var cell = row.cells[index];
      if (kind === "number" || kind === "status") {
        return parseFloat(cell.getAttribute("data-value")) || 0;
      }
      return cell.textContent.trim().toLowerCase();
    };

    var applyFilter = function () {
      var wanted = {};
      boxes.forEach(function (box) { wanted[box.value] = box.checked; });
      var needle = search ? search.value.trim().toLowerCase() : "";
      var visible = 0;
      rows.forEach(function (row) {
        var match = wanted[row.getAttribute("data-status")] !== false &&
          (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
        row.hidden = !match;
        if (match) { visible += 1; }
      });
      if (shown) { shown.textContent = "showing " + visible + " of " + rows.length; }
    };

    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      th.tabIndex = 0;
      var sort = function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = cellKey(a, index, kind), y = cellKey(b, index, kind);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
    if (search) { search.addEventListener("input", applyFilter); }
    boxes.forEach(function (box) { box.addEventListener("change", applyFilter); });
    applyFilter();
  }

  // Findings: search and severity/category/code filters. A group (one code) is hidden
  // when none of its findings is shown, a severity heading when none of its groups is.
  var findingSearch = document.getElementById("finding-search");
  if (findingSearch) {
    var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
    var severityBoxes = document.querySelectorAll("input.sev-filter");
    var category = document.getElementById("finding-category");
    var code = document.getElementById("finding-code");
    var findingShown = document.getElementById("finding-shown");
    var filterFindings = function () {
      var severities = {};
      severityBoxes.forEach(function (box) { severities[box.value] = box.checked; });
      var needle = findingSearch.value.trim().toLowerCase();
      var visible = 0;
      findings.forEach(function (article) {
        var match = severities[article.getAttribute("data-severity")] !== false &&
          (!category.value || article.getAttribute("data-category") === category.value) &&
          (!code.value || article.getAttribute("data-code") === code.value) &&
          (!needle || article.textContent.toLowerCase().indexOf(needle) !== -1);
        article.hidden = !match;
        if (match) { visible += 1; }
      });
      document.querySelectorAll("details.group").forEach(function (group) {
        var any = group.querySelector("article.finding:not([hidden])") !== null;
        group.hidden = !any;
        if (any && (needle || code.value || category.value)) { group.open = true; }
        var more = group.querySelector("details.more-findings");
        if (more && needle && more.querySelector("article.finding:not([hidden])")) {
          more.open = true;
        }
      });
      document.querySelectorAll("h3.sev-heading").forEach(function (heading) {
        var next = heading.nextElementSibling, any = false;
        while (next && next.tagName === "DETAILS") {
          if (!next.hidden) { any = true; }
          next = next.nextElementSibling;
        }
        heading.hidden = !any;
      });
      if (findingShown) {
        findingShown.textContent = "showing " + visible + " of " + findings.length;
      }
    };
    findingSearch.addEventListener("input", filterFindings);
    severityBoxes.forEach(function (box) { box.addEventListener("change", filterFindings); });
    category.addEventListener("change", filterFindings);
    code.addEventListener("change", filterFindings);
    filterFindings();
  }

  // Printing shows everything: every group and node list opened.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
