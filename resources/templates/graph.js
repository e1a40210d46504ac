// The report's graph: boxes coloured by verdict, one level of the module hierarchy at a
// time. Data: the JSON in #graph-data, in the compact form analyzers/report/graph_section.py
// describes; decoded below into
//   nodes  [name, op, status, group, codes, reason, where, module]   (strings: indices)
//   groups [label, parent, status, size, first, path, codes]         (groups[0]: the model)
//   edges  flat triples [source, target, type];  types [dtype, shape, bytes]
// Layout: dagre (inlined, MIT), on the boxes shown; only opened groups are laid out.
(function () {
  "use strict";
  var holder = document.getElementById("graph-data");
  var section = document.getElementById("graph");
  if (!holder || !section || typeof dagre === "undefined") { return; }
  var started = performance.now();
  var D = JSON.parse(holder.textContent);
  var G = D.groups, T = D.types, STR = D.strings, ST = D.statuses;
  function modulePath(g) {  // a group's path from its parent's; runs share their parent's
    var group = G[g];
    if (typeof group[5] === "string") { return group[5]; }
    var parent = group[1] < 0 ? "" : modulePath(group[1]);
    group[5] = group[1] < 0 ? "" : group[5] ? parent : (parent ? parent + "." : "") + group[0];
    return group[5];
  }
  G.forEach(function (g, i) { modulePath(i); });
  var N = new Array(D.nodes.length), last = "";
  D.nodes.forEach(function (n, i) {
    var name = last.slice(0, n[0]) + n[1];
    last = name;
    N[i] = [name, STR[n[2]], n[3], n[4], n[5], n[6], n[7], G[n[4]][5]];
  });
  var E = new Int32Array(D.edges.length), target = 0;
  for (var k = 0; k < D.edges.length; k += 3) {
    target += D.edges[k];
    E[k] = target - D.edges[k + 1]; E[k + 1] = target; E[k + 2] = D.edges[k + 2];
  }
  D.edges = E;
  var SVGNS = "http://www.w3.org/2000/svg";
  var kidsG = G.map(function () { return []; }), kidsN = G.map(function () { return []; });
  G.forEach(function (g, i) { if (g[1] >= 0) { kidsG[g[1]].push(i); } });
  N.forEach(function (n, i) { kidsN[n[3]].push(i); });
  var byName = new Map();
  N.forEach(function (n, i) { byName.set(n[0], i); });
  var hostNodes = new Set(), hostGroups = new Set();
  D.regions.forEach(function (r) { r[0].forEach(function (n) { hostNodes.add(n); }); });
  hostNodes.forEach(function (n) {
    for (var g = N[n][3]; g >= 0 && !hostGroups.has(g); g = G[g][1]) { hostGroups.add(g); }
  });
  var open = new Set(D.open), selected = -1, showHost = false, view = null, bounds = null;
  var svg = section.querySelector("svg.gv-canvas"), mini = section.querySelector("svg.gv-mini");
  var details = section.querySelector(".gv-details"), info = section.querySelector(".gv-info");

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function bytes(n) {
    if (n === null || n === undefined) { return "size unknown"; }
    var units = ["B", "KiB", "MiB", "GiB"], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + units[i];
  }
  function shortOp(op) { return op.replace(/^onnx::/, "").replace(/^aten\./, ""); }
  function shortName(name) { var parts = name.split("/"); return parts[parts.length - 1] || name; }

  // -- what is shown: the boxes of open groups, edges merged between boxes -------------
  function visible() {
    var isOpen = new Uint8Array(G.length), boxes = [], boxOfGroup = new Map();
    function visit(g) {
      isOpen[g] = 1;
      var parts = kidsG[g].map(function (c) { return [G[c][4], 0, c]; })
        .concat(kidsN[g].map(function (n) { return [n, 1, n]; }))
        .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      parts.forEach(function (p) {
        if (p[1]) { boxes.push({kind: "n", i: p[2], frame: g}); }
        else if (open.has(p[2])) { visit(p[2]); }
        else { boxOfGroup.set(p[2], boxes.length); boxes.push({kind: "g", i: p[2], frame: g}); }
      });
    }
    visit(0);
    var direct = new Map(), memo = new Map();
    boxes.forEach(function (b, k) { if (b.kind === "n") { direct.set(b.i, k); } });
    function collapsed(g) {
      var found = memo.get(g);
      if (found === undefined) {
        found = isOpen[G[g][1]] ? boxOfGroup.get(g) : collapsed(G[g][1]);
        memo.set(g, found);
      }
      return found;
    }
    var nodeBox = new Int32Array(N.length);
    for (var i = 0; i < N.length; i++) {
      nodeBox[i] = isOpen[N[i][3]] ? direct.get(i) : collapsed(N[i][3]);
    }
    var merged = new Map();
    for (var k = 0; k < E.length; k += 3) {
      var a = nodeBox[E[k]], b = nodeBox[E[k + 1]];
      if (a === b) { continue; }
      var key = a + ">" + b, entry = merged.get(key), type = T[E[k + 2]];
      if (!entry) { merged.set(key, {a: a, b: b, count: 1, bytes: type[2] || 0, type: type}); }
      else { entry.count++; entry.bytes += type[2] || 0; }
    }
    return {boxes: boxes, edges: Array.from(merged.values()), isOpen: isOpen};
  }

  function boxText(b) {
    if (b.kind === "n") {
      var n = N[b.i];
      return [shortName(n[0]), shortOp(n[1]) + (n[4] ? " · " + n[4] : "")];
    }
    var g = G[b.i];
    return [g[0], g[3] + " node" + (g[3] === 1 ? "" : "s") + (g[6] ? " · " + g[6].split(" ")[0] : "")];
  }
  function statusOf(b) { return ST[b.kind === "n" ? N[b.i][2] : G[b.i][2]]; }
  function isHost(b) { return b.kind === "n" ? hostNodes.has(b.i) : hostGroups.has(b.i); }

  // -- layout and drawing ---------------------------------------------------------------
  function render() {
    var shown = visible(), layout = new dagre.graphlib.Graph({compound: true});
    layout.setGraph({rankdir: "TB", nodesep: 22, ranksep: 34, marginx: 20, marginy: 20});
    layout.setDefaultEdgeLabel(function () { return {}; });
    open.forEach(function (g) {
      if (!shown.isOpen[g]) { return; }
      layout.setNode("f" + g, {});
      if (G[g][1] > 0) { layout.setParent("f" + g, "f" + G[g][1]); }
    });
    shown.boxes.forEach(function (b, k) {
      var text = boxText(b), width = Math.min(260, Math.max(96, 7.2 * Math.max(text[0].length, text[1].length) + 26));
      layout.setNode("b" + k, {width: width, height: 42});
      if (b.frame > 0) { layout.setParent("b" + k, "f" + b.frame); }
    });
    shown.edges.forEach(function (e) { layout.setEdge("b" + e.a, "b" + e.b); });
    dagre.layout(layout);
    var scene = svg.querySelector("#gv-scene");
    scene.textContent = "";
    open.forEach(function (g) {
      if (!shown.isOpen[g]) { return; }
      var f = layout.node("f" + g);
      if (!f || !isFinite(f.x)) { return; }
      var frame = el("g", {"class": "gv-frame st-" + ST[G[g][2]], "data-group": g}, scene);
      el("rect", {x: f.x - f.width / 2 - 6, y: f.y - f.height / 2 - 16, width: f.width + 12,
                  height: f.height + 22, rx: 8}, frame);
      var label = el("text", {x: f.x - f.width / 2, y: f.y - f.height / 2 - 3, "class": "gv-frame-label"}, frame);
      label.textContent = "▾ " + G[g][0];
      el("title", {}, frame).textContent = "Click to collapse " + (G[g][5] || G[g][0]);
    });
    shown.edges.forEach(function (e) {
      var pts = layout.edge("b" + e.a, "b" + e.b).points;
      var d = pts.map(function (p, i) { return (i ? "L" : "M") + p.x.toFixed(1) + " " + p.y.toFixed(1); }).join(" ");
      var path = el("path", {d: d, "class": "gv-edge", "marker-end": "url(#gv-arrow)"}, scene);
      el("title", {}, path).textContent = e.type[0] + "[" + e.type[1] + "]" +
        (e.count > 1 ? " · " + e.count + " tensors, " + bytes(e.bytes) : " · " + bytes(e.type[2]));
    });
    shown.boxes.forEach(function (b, k) {
      var p = layout.node("b" + k), text = boxText(b);
      var cls = "gv-box st-" + statusOf(b) + (b.kind === "g" ? " gv-group" : "") +
        (showHost && isHost(b) ? " gv-host" : "") + (b.kind === "n" && b.i === selected ? " gv-selected" : "");
      var box = el("g", {"class": cls, transform: "translate(" + (p.x - p.width / 2) + "," + (p.y - p.height / 2) + ")",
                         "data-kind": b.kind, "data-index": b.i}, scene);
      el("rect", {width: p.width, height: p.height, rx: b.kind === "g" ? 9 : 5}, box);
      el("text", {x: 10, y: 17, "class": "gv-l1"}, box).textContent = (b.kind === "g" ? "▸ " : "") + text[0];
      el("text", {x: 10, y: 33, "class": "gv-l2"}, box).textContent = text[1];
      el("title", {}, box).textContent = b.kind === "n" ? N[b.i][0] + " (" + N[b.i][1] + "): " + ST[N[b.i][2]]
        : (G[b.i][5] || G[b.i][0]) + ": " + G[b.i][3] + " nodes, worst " + ST[G[b.i][2]] + " — click to open";
    });
    var copy = mini.querySelector(".gv-mini-scene"), clone = scene.cloneNode(true);
    clone.removeAttribute("id");
    copy.textContent = "";
    copy.appendChild(clone);
    var graph = layout.graph();
    bounds = {x: 0, y: 0, w: Math.max(graph.width || 100, 100), h: Math.max(graph.height || 60, 60)};
    mini.setAttribute("viewBox", "0 0 " + bounds.w + " " + bounds.h);
    section.setAttribute("data-boxes", String(shown.boxes.length));
    section.setAttribute("data-selected", selected >= 0 ? N[selected][0] : "");
    return layout;
  }

  // -- pan, zoom, fit, minimap ----------------------------------------------------------
  function applyView() {
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
    var r = mini.querySelector(".gv-viewport");
    r.setAttribute("x", view.x); r.setAttribute("y", view.y);
    r.setAttribute("width", view.w); r.setAttribute("height", view.h);
  }
  function fit() {
    var rect = svg.getBoundingClientRect(), aspect = (rect.height || 520) / (rect.width || 1000);
    var w = Math.max(bounds.w, bounds.h / aspect), h = w * aspect;
    view = {x: bounds.x - (w - bounds.w) / 2, y: bounds.y - (h - bounds.h) / 2, w: w, h: h};
    applyView();
  }
  function zoom(factor, cx, cy) {
    cx = cx === undefined ? view.x + view.w / 2 : cx; cy = cy === undefined ? view.y + view.h / 2 : cy;
    view = {x: cx - (cx - view.x) * factor, y: cy - (cy - view.y) * factor, w: view.w * factor, h: view.h * factor};
    applyView();
  }
  function centerOn(x, y) { view.x = x - view.w / 2; view.y = y - view.h / 2; applyView(); }
  function toScene(evt) {
    var rect = svg.getBoundingClientRect();
    return {x: view.x + (evt.clientX - rect.left) / rect.width * view.w,
            y: view.y + (evt.clientY - rect.top) / rect.height * view.h};
  }
  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = toScene(evt);
    zoom(evt.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
  }, {passive: false});
  var drag = null;
  svg.addEventListener("pointerdown", function (evt) {
    drag = {x: evt.clientX, y: evt.clientY, view: Object.assign({}, view), moved: false};
  });
  window.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var rect = svg.getBoundingClientRect(), dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    view.x = drag.view.x - dx / rect.width * view.w; view.y = drag.view.y - dy / rect.height * view.h;
    applyView();
  });
  window.addEventListener("pointerup", function () { setTimeout(function () { drag = null; }, 0); });
  mini.addEventListener("click", function (evt) {
    var rect = mini.getBoundingClientRect(), scale = Math.max(bounds.w / rect.width, bounds.h / rect.height);
    centerOn((evt.clientX - rect.left) * scale, (evt.clientY - rect.top) * scale);
  });

  // -- selection, opening and closing ---------------------------------------------------
  function boxElement(kind, index) {
    return svg.querySelector('.gv-box[data-kind="' + kind + '"][data-index="' + index + '"]');
  }
  function describe(n) {
    var node = N[n], text = [];
    function row(label, value) { if (value) { text.push([label, value]); } }
    row("Node", node[0]); row("Operator", node[1]); row("Verdict", ST[node[2]]);
    row("Reason", STR[node[5]]); row("Source", STR[node[6]]); row("Module", node[7]);
    row("Findings", node[4]);
    var ins = [], outs = [];
    for (var k = 0; k < D.edges.length; k += 3) {
      var t = T[D.edges[k + 2]];
      if (D.edges[k + 1] === n) { ins.push(t[0] + "[" + t[1] + "] from " + N[D.edges[k]][0]); }
      if (D.edges[k] === n) { outs.push(t[0] + "[" + t[1] + "] to " + N[D.edges[k + 1]][0]); }
    }
    row("Inputs", ins.slice(0, 8).join("\n")); row("Outputs", outs.slice(0, 8).join("\n"));
    details.textContent = "";
    var list = document.createElement("dl");
    text.forEach(function (r) {
      list.appendChild(document.createElement("dt")).textContent = r[0];
      list.appendChild(document.createElement("dd")).textContent = r[1];
    });
    details.appendChild(list);
  }
  function reveal(name) {
    var n = byName.get(name);
    if (n === undefined) { return false; }
    for (var g = N[n][3]; g > 0; g = G[g][1]) { open.add(g); }
    selected = n;
    render();
    describe(n);
    fit();
    var box = boxElement("n", n);
    if (box) {
      var m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(box.getAttribute("transform"));
      if (view.w > 1400) { zoom(1400 / view.w); }
      centerOn(parseFloat(m[1]) + 60, parseFloat(m[2]) + 20);
    }
    return true;
  }
  function closeGroup(g) {
    var stack = [g];
    while (stack.length) { var c = stack.pop(); open.delete(c); stack.push.apply(stack, kidsG[c]); }
  }
  svg.addEventListener("click", function (evt) {
    if (drag && drag.moved) { return; }
    var box = evt.target.closest(".gv-box"), frame = evt.target.closest(".gv-frame");
    if (box) {
      var index = parseInt(box.getAttribute("data-index"), 10);
      if (box.getAttribute("data-kind") === "g") { open.add(index); render(); fit(); }
      else { selected = index; render(); describe(index); }
    } else if (frame) {
      closeGroup(parseInt(frame.getAttribute("data-group"), 10)); render(); fit();
    }
  });

  // -- toolbar: search, fit, zoom, host regions -------------------------------------------
  var search = section.querySelector(".gv-search"), hits = section.querySelector(".gv-hits");
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    hits.textContent = "";
    if (q.length < 2) { return; }
    var found = 0;
    for (var i = 0; i < N.length && found < 40; i++) {
      var n = N[i];
      if (n[0].toLowerCase().indexOf(q) >= 0 || n[1].toLowerCase().indexOf(q) >= 0 ||
          n[7].toLowerCase().indexOf(q) >= 0) {
        var item = hits.appendChild(document.createElement("li"));
        var link = item.appendChild(document.createElement("a"));
        link.href = "#graph"; link.className = "graph-link"; link.setAttribute("data-node", n[0]);
        link.textContent = n[0] + " · " + shortOp(n[1]) + " · " + ST[n[2]];
        found++;
      }
    }
    if (!found) { hits.appendChild(document.createElement("li")).textContent = "no node, operator or module matches"; }
  });
  section.querySelector(".gv-fit").addEventListener("click", fit);
  section.querySelector(".gv-zoom-in").addEventListener("click", function () { zoom(1 / 1.3); });
  section.querySelector(".gv-zoom-out").addEventListener("click", function () { zoom(1.3); });
  section.querySelector(".gv-open-all").addEventListener("click", function () { open = new Set(D.open); selected = -1; render(); fit(); });
  section.querySelector(".gv-host-toggle").addEventListener("click", function (evt) {
    showHost = !showHost;
    evt.target.setAttribute("aria-pressed", String(showHost));
    var v = view; render(); view = v; applyView();
    info.textContent = showHost ? hostSummary() : "";
  });
  function hostSummary() {
    if (!D.regions.length) { return "Nothing runs on the host: the model is one device graph."; }
    var cuts = D.regions.map(function (r, i) {
      return "region " + (i + 1) + " (" + r[0].length + " node" + (r[0].length === 1 ? "" : "s") + "): " +
        bytes(r[1]) + " in, " + bytes(r[2]) + " out" + (r[3] ? ", " + r[3] + " tensor(s) of symbolic size" : "");
    });
    return D.regions.length + " host region" + (D.regions.length === 1 ? "" : "s") + "; the model runs as " +
      D.device_graphs + " device graph" + (D.device_graphs === 1 ? "" : "s") + ". Bytes crossing each cut — " + cuts.join("; ");
  }
  document.addEventListener("click", function (evt) {
    var link = evt.target.closest && evt.target.closest("a.graph-link[data-node]");
    if (!link) { return; }
    evt.preventDefault();
    section.scrollIntoView();
    reveal(link.getAttribute("data-node"));
  });

  render();
  fit();
  // a link to the graph alone or to one node: #graph?only=1&node=NAME
  var params = location.hash.indexOf("#graph?") === 0 ? new URLSearchParams(location.hash.slice(7)) : null;
  if (params && params.get("only")) { document.body.classList.add("gv-only"); fit(); }
  if (params && params.get("node")) { reveal(params.get("node")); }
  // how long the graph took: its own work, and since the page began to load
  section.setAttribute("data-ready-ms", String(Math.round(performance.now() - started)));
  section.setAttribute("data-opened-ms", String(Math.round(performance.now())));
  window.trnportGraph = {reveal: reveal, render: render};
})();
