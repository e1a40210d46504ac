// Operator table: sort by column, filter by status, search. Rows are only reordered and
// hidden; no text from the model is ever parsed as HTML.
(function () {
  "use strict";
  var table = document.getElementById("op-table");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var search = document.getElementById("op-search");
    var shown = document.getElementById("op-shown");
    var boxes = document.querySelectorAll(".filters input[type=checkbox]");

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

  // Printing shows everything: every group and node list opened.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
