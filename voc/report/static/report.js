(function () {
  "use strict";
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var charts = JSON.parse(document.getElementById("chart-data").textContent);
  var PAGE = 50, page = 0;
  Object.keys(charts).forEach(function (name) {
    var el = document.getElementById("chart-" + name);
    if (!el) { return; }
    // The box keeps the figure's height; Plotly's responsive mode then only follows its width
    // (a box without a height collapses when the window is resized).
    el.style.height = charts[name].layout.height + "px";
    Plotly.newPlot(el, charts[name].data, charts[name].layout, {responsive: true, displaylogo: false});
    el.on("plotly_click", function (event) {
      var point = event.points[0];
      if (name === "topic_map" && point.customdata !== undefined) { setTheme("topic:" + point.customdata); }
      if (name === "drivers" && point.customdata !== undefined) { setTheme(point.customdata); }
    });
  });
  var language = document.getElementById("filter-language");
  var touchpoint = document.getElementById("filter-touchpoint");
  var theme = document.getElementById("filter-theme");
  function addOptions(select, values) {
    values.forEach(function (v) {
      var option = document.createElement("option");
      option.value = v[0]; option.textContent = v[1]; select.appendChild(option);
    });
  }
  var languages = {}, touchpoints = {};
  report.comments.forEach(function (c) {
    languages[c.language] = true;
    c.touchpoints.forEach(function (t) { touchpoints[t] = true; });
  });
  addOptions(language, Object.keys(languages).sort().map(function (l) { return [l, l]; }));
  addOptions(touchpoint, Object.keys(touchpoints).sort().map(function (t) { return [t, t]; }));
  addOptions(theme, report.topics.map(function (t) { return ["topic:" + t.id, "topic: " + t.label]; })
    .concat(report.root_causes.map(function (c) { return ["root_cause:" + c.id, "root cause: " + c.label]; }))
    .concat(report.expectation_gaps.map(function (g) { return ["gap:" + g.kind, "gap: " + g.kind]; })));
  function matchesTheme(c, value) {
    if (!value) { return true; }
    var kind = value.slice(0, value.indexOf(":")), id = value.slice(value.indexOf(":") + 1);
    if (kind === "topic") { return c.topics.map(String).indexOf(id) >= 0; }
    if (kind === "root_cause") { return c.root_causes.indexOf(id) >= 0; }
    if (kind === "gap") { return c.gaps.map(String).indexOf(id) >= 0; }
    return true;
  }
  function highlighted(c) {
    var out = document.createDocumentFragment(), at = 0;
    c.highlights.forEach(function (h) {
      if (h.start < at || h.end > c.text.length) { return; }
      out.appendChild(document.createTextNode(c.text.slice(at, h.start)));
      var mark = document.createElement("mark");
      mark.className = h.kind; mark.title = h.label || h.kind;
      mark.textContent = c.text.slice(h.start, h.end);
      out.appendChild(mark); at = h.end;
    });
    out.appendChild(document.createTextNode(c.text.slice(at)));
    return out;
  }
  var search = document.getElementById("comment-search");
  function render() {
    var list = document.getElementById("comment-list");
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = report.comments.filter(function (c) {
      var text = c.text.toLowerCase();
      return (!language.value || c.language === language.value)
        && (!touchpoint.value || c.touchpoints.indexOf(touchpoint.value) >= 0)
        && matchesTheme(c, theme.value)
        && words.every(function (w) { return text.indexOf(w) >= 0; });
    });
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    page = Math.min(page, pages - 1);
    list.textContent = "";
    shown.slice(page * PAGE, (page + 1) * PAGE).forEach(function (c) {
      var row = document.createElement("div");
      row.className = "comment"; row.dataset.language = c.language;
      row.dataset.touchpoints = c.touchpoints.join(" ");
      var tag = document.createElement("span");
      tag.className = "tag " + (c.sentiment || "neutral"); tag.textContent = c.sentiment || "?";
      row.appendChild(tag); row.appendChild(document.createTextNode(" "));
      row.appendChild(highlighted(c));
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = [c.id, c.language, c.score === null ? "" : "score " + c.score,
        c.touchpoints.join(", "), c.created_at || ""].filter(Boolean).join(" · ");
      row.appendChild(meta); list.appendChild(row);
    });
    document.getElementById("comment-count").textContent = shown.length + " comments";
    document.getElementById("comment-page").textContent = "page " + (page + 1) + " of " + pages;
    document.getElementById("comment-prev").disabled = page === 0;
    document.getElementById("comment-next").disabled = page >= pages - 1;
  }
  function filtered() { page = 0; render(); }
  function setTheme(value) {
    theme.value = value; filtered();
    document.getElementById("comments").scrollIntoView();
  }
  document.querySelectorAll("a.drill").forEach(function (a) {
    a.addEventListener("click", function () {
      if (a.dataset.touchpoint) { touchpoint.value = a.dataset.touchpoint; filtered(); document.getElementById("comments").scrollIntoView(); }
      else { setTheme(a.dataset.theme); }
    });
  });
  [language, touchpoint, theme].forEach(function (s) { s.addEventListener("change", filtered); });
  search.addEventListener("input", filtered);
  document.getElementById("comment-prev").addEventListener("click", function () { page -= 1; render(); });
  document.getElementById("comment-next").addEventListener("click", function () { page += 1; render(); });
  render();
  // A sortable table sorts by the column whose header is clicked (a second click reverses).
  document.querySelectorAll("main table.sortable").forEach(function (table) {
    var head = table.rows[0];
    Array.prototype.forEach.call(head.cells, function (th, column) {
      th.style.cursor = "pointer"; th.title = "click to sort";
      th.addEventListener("click", function () {
        var down = th.dataset.sorted !== "down";
        Array.prototype.forEach.call(head.cells, function (other) { delete other.dataset.sorted; });
        th.dataset.sorted = down ? "down" : "up";
        var rows = Array.prototype.slice.call(table.rows, 1);
        rows.sort(function (a, b) {
          var x = a.cells[column].textContent.trim(), y = b.cells[column].textContent.trim();
          var nx = parseFloat(x), ny = parseFloat(y);
          var order = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
          return down ? -order : order;
        });
        rows.forEach(function (row) { row.parentNode.appendChild(row); });
      });
    });
  });
  // Every table can be downloaded as CSV: what it shows, one row per line.
  function csvCell(text) {
    var t = text.replace(/\s+/g, " ").trim();
    if (/^[=+\-@]/.test(t) && isNaN(Number(t))) { t = "'" + t; }  // not a spreadsheet formula
    return /[",\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  document.querySelectorAll("main table").forEach(function (table, i) {
    var button = document.createElement("button");
    button.type = "button"; button.className = "csv"; button.textContent = "Download CSV";
    button.addEventListener("click", function () {
      var lines = Array.prototype.map.call(table.rows, function (row) {
        return Array.prototype.map.call(row.cells, function (cell) { return csvCell(cell.textContent); }).join(",");
      });
      var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], {type: "text/csv;charset=utf-8"});
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = (table.id || "table-" + (i + 1)).replace(/^table-/, "") + ".csv";
      document.body.appendChild(link); link.click(); link.remove();
    });
    table.parentNode.insertBefore(button, table);
  });
})();
