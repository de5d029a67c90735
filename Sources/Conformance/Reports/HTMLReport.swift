import TensorIO

/// `index.html`: a self-contained page (inline CSS and JavaScript, no network). A banner says at a
/// glance whether anything is unexpected; the page opens on the loader with the most unexpected
/// results, lists every result (unexpected first, a page at a time) and filters by loader, status,
/// architecture, tuner, mutation and a case-insensitive regular expression over ids and messages,
/// all kept in the URL's fragment (`#loader=peft&status=unexpected&q=^aux/`). Below, each
/// architecture's mutation × tuner matrix as coloured cells; clicking a cell or a row shows the
/// cases with expected and actual outcomes.
///
/// Untrusted strings never reach the markup: run data is embedded as escaped JSON and the script
/// inserts it with `textContent`; the few strings written into the static part are HTML-escaped.
public enum HTMLReport {
  /// Results per page of the results list: every result is reachable by paging, none is cut off.
  public static let pageSize = 100

  /// The page.
  public static func render(_ run: RunResults, diff: ResultsDiff? = nil) -> String {
    let data = Escaping.scriptJSON(utf8: JSONWriter.compact.bytes(payload(run, diff: diff)))
    let unexpected = run.unexpected.count
    let title = unexpected == 0 ? "all as expected" : "\(unexpected) unexpected"
    var page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    page += "<title>Adaptest conformance — \(Escaping.html(title))</title>\n"
    page += "<style>\n\(css)</style>\n</head>\n<body>\n"
    page += "<header><h1>Adaptest conformance</h1><p class=\"meta\">"
    page += "adaptest \(Escaping.html(run.info.toolVersion)) · corpus <code>\(Escaping.html(String(run.info.corpusHash.prefix(12))))</code>"
    page += " · \(Escaping.html(run.info.timestamp))"
    if let filter = run.info.filter { page += " · filter <code>\(Escaping.html(filter))</code>" }
    if !run.info.shards.isEmpty { page += " · shards \(Escaping.html(run.info.shards.joined(separator: ", ")))" }
    page += "</p></header>\n"
    page += "<main>\n\(banner(run, diff: diff))<section id=\"loaders\" class=\"cards\"></section>\n"
    page += "<section id=\"baseline\"></section>\n"
    page += """
      <section class="controls">
        <div id="loader-tabs" class="tabs" role="tablist"></div>
        <input id="search" type="search" placeholder="Regex over ids and messages" aria-label="Regular expression over case ids and messages (case-insensitive)">
        <select id="status" aria-label="Status"></select>
        <select id="architecture" aria-label="Architecture"></select>
        <select id="tuner" aria-label="Tuner"></select>
        <select id="mutation" aria-label="Mutation"></select>
        <button id="reset" type="button">Reset filters</button>
        <span id="search-error" class="search-error" role="alert"></span>
        <div id="legend" class="legend"></div>
      </section>
      <section><h2>Results <span id="count" class="count"></span></h2><div id="results" data-page-size="\(pageSize)"></div><nav id="pager" class="pager"></nav></section>
      <section><h2>Matrix</h2><div id="matrix"></div></section>
      </main>
      <aside id="drawer" hidden><div class="drawer-head"><h2 id="drawer-title"></h2>
      <button id="drawer-close" aria-label="Close">×</button></div><div id="drawer-body"></div></aside>
      <noscript><p class="noscript">This report needs JavaScript to list and filter results; results.json has the same data.</p></noscript>

      """
    page += "<script id=\"data\" type=\"application/json\">\(data)</script>\n"
    page += "<script>\n\(script)</script>\n</body>\n</html>\n"
    return page
  }

  /// The banner at the top: red whenever a result is unexpected or regressed, whatever else the
  /// baseline says; green only when everything is as expected. Static markup, so it shows without
  /// JavaScript too.
  static func banner(_ run: RunResults, diff: ResultsDiff?) -> String {
    let counts = run.counts()
    let unexpected = run.unexpected.count
    let regressed = diff?.regressed.count ?? 0
    var text: String
    if unexpected > 0 {
      let parts = CaseStatus.allCases.filter(\.isUnexpected).compactMap { status in
        (counts[status] ?? 0) > 0 ? "\(counts[status]!) \(status.rawValue)" : nil
      }
      text = "\(unexpected) unexpected result(s) of \(run.results.count): \(parts.joined(separator: ", "))."
    } else {
      text = "All \(run.results.count) results as expected."
    }
    if let diff {
      text += regressed > 0 ? " \(regressed) regression(s) against the baseline." : " No regressions against the baseline."
      if diff.changed.count > 0 { text += " \(diff.changed.count) result(s) changed status." }
    } else {
      text += " No baseline compared."
    }
    let bad = unexpected > 0 || regressed > 0
    return "<div id=\"banner\" class=\"banner \(bad ? "bad" : "good")\" role=\"status\"><b>\(Escaping.html(text))</b></div>\n"
  }

  // MARK: Data

  static func payload(_ run: RunResults, diff: ResultsDiff?) -> JSONValue {
    var loaders: [JSONValue] = []
    let loaderIDs = run.loaderIDs
    for id in loaderIDs {
      let info = run.info.loaders.first { $0.id == id }
      var object = JSONObject([("id", .string(id)), ("version", .string(info?.version ?? ""))])
      var versionLine = (info?.versions ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
      if let info, info.name != id { versionLine.insert("\(info.name) \(info.version)", at: 0) }
      object["versions"] = .string(versionLine.joined(separator: " · "))
      let counts = run.counts(loader: id)
      object["counts"] = .object(JSONObject(CaseStatus.allCases.map { ($0.rawValue, JSONValue.int(counts[$0] ?? 0)) }))
      loaders.append(.object(object))
    }
    var results: [JSONValue] = []
    results.reserveCapacity(run.results.count)
    for result in run.results {
      var r = JSONObject()
      r["l"] = .int(loaderIDs.firstIndex(of: result.loader) ?? 0)
      r["i"] = .string(result.id)
      r["f"] = .string(result.format?.rawValue ?? "")
      r["s"] = .string(result.status.rawValue)
      r["a"] = .string(result.coordinates.architecture ?? "(none)")
      r["m"] = .string(result.coordinates.mutation ?? "(none)")
      r["t"] = .string(result.coordinates.tuner ?? "(none)")
      if !result.message.isEmpty { r["msg"] = .string(result.message) }
      if result.status != .pass {
        if !result.description.isEmpty { r["d"] = .string(result.description) }
        if let expected = result.expected { r["e"] = .string(JSONWriter(indent: 2).string(expected)) }
        if let actual = result.actual { r["o"] = .string(JSONWriter(indent: 2).string(actual)) }
        if let note = result.expectation { r["x"] = .string("\(note.status.rawValue): \(note.summary)") }
        if result.status.isUnexpected { r["rep"] = .string(Reproducer.commands(for: result).joined(separator: "\n")) }
      }
      results.append(.object(r))
    }
    var object = JSONObject([("loaders", .array(loaders)), ("results", .array(results))])
    if let diff {
      func changes(_ list: [ResultsDiff.Change]) -> JSONValue {
        .array(
          list.map { c in
            .object(
              JSONObject([
                ("l", .string(c.key.loader)), ("i", .string(c.key.id)), ("f", .string(c.key.format)),
                ("old", .string(c.old.rawValue)), ("new", .string(c.new.rawValue)), ("msg", .string(c.message)),
              ]))
          })
      }
      object["diff"] = .object(
        JSONObject([
          ("regressed", changes(diff.regressed)), ("improved", changes(diff.improved)),
          ("counts", .strings([
            "\(diff.regressed.count) regressed", "\(diff.improved.count) improved", "\(diff.changed.count) changed",
            "\(diff.added.count) added", "\(diff.removed.count) removed", "\(diff.unchanged) unchanged",
          ])),
        ]))
    }
    return .object(object)
  }

  // MARK: Static parts

  static let css = """
    :root { --pass:#1a7f37; --fail:#cf222e; --error:#8250df; --timeout:#bc4c00; --xpass:#0969da;
      --xfail:#d4a72c; --skip:#afb8c1; --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; }
    * { box-sizing: border-box; }
    body { margin:0; font:14px/1.45 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color:var(--ink); background:#fff; }
    header { padding:18px 28px 10px; border-bottom:1px solid var(--line); background:var(--bg); }
    h1 { margin:0; font-size:22px; } h2 { font-size:16px; margin:22px 0 8px; }
    .meta { margin:4px 0 0; color:var(--muted); } code { font:12px ui-monospace, SFMono-Regular, Menlo, monospace; }
    main { padding:8px 28px 40px; }
    .cards { display:flex; flex-wrap:wrap; gap:12px; margin-top:14px; }
    .card { border:1px solid var(--line); border-radius:8px; padding:10px 14px; min-width:260px; flex:1 1 260px; max-width:440px; }
    .card h3 { margin:0 0 2px; font-size:15px; } .card .versions { color:var(--muted); font-size:12px; min-height:16px; }
    .bar { display:flex; height:10px; border-radius:5px; overflow:hidden; margin:8px 0 6px; background:var(--bg); }
    .counts { display:flex; flex-wrap:wrap; gap:4px 10px; font-size:12px; color:var(--muted); }
    .counts b { color:var(--ink); }
    .dot { display:inline-block; width:9px; height:9px; border-radius:2px; margin-right:4px; vertical-align:baseline; }
    .controls { display:flex; flex-wrap:wrap; align-items:center; gap:10px 16px; margin:18px 0 6px; position:sticky; top:0; background:#fff; padding:8px 0; z-index:2; border-bottom:1px solid var(--line); }
    .tabs button { border:1px solid var(--line); background:#fff; padding:5px 12px; font:inherit; cursor:pointer; margin-right:-1px; }
    .tabs button:first-child { border-radius:6px 0 0 6px; } .tabs button:last-child { border-radius:0 6px 6px 0; }
    .tabs button[aria-selected=true] { background:var(--ink); color:#fff; border-color:var(--ink); }
    #search { padding:5px 9px; border:1px solid var(--line); border-radius:6px; font:inherit; width:220px; }
    .legend { display:flex; gap:10px; font-size:12px; color:var(--muted); margin-left:auto; }
    .arch { margin-top:18px; } .arch h2 { margin-bottom:6px; } .arch h2 span { color:var(--muted); font-weight:normal; font-size:13px; }
    .scroll { overflow-x:auto; }
    table.grid { border-collapse:separate; border-spacing:3px; }
    table.grid th { font-weight:600; font-size:12px; color:var(--muted); padding:2px 6px; white-space:nowrap; }
    table.grid thead th.corner { writing-mode:horizontal-tb; transform:none; height:auto; text-align:right; font-weight:normal; }
    table.grid thead th { writing-mode:vertical-rl; transform:rotate(180deg); text-align:left; vertical-align:bottom; height:130px; }
    table.grid tbody th { text-align:right; font-family:ui-monospace, Menlo, monospace; font-weight:normal; color:var(--ink); max-width:320px; overflow:hidden; text-overflow:ellipsis; }
    td.cell { width:34px; min-width:34px; height:26px; border-radius:4px; text-align:center; font-size:11px; color:#fff; cursor:pointer; font-weight:600; }
    td.cell:hover { outline:2px solid var(--ink); outline-offset:1px; }
    td.empty { background:repeating-linear-gradient(45deg,#fff,#fff 3px,#eef1f4 3px,#eef1f4 6px); cursor:default; }
    td.empty:hover { outline:none; }
    .s-PASS { background:var(--pass); } .s-FAIL { background:var(--fail); } .s-ERROR { background:var(--error); }
    .s-TIMEOUT { background:var(--timeout); } .s-XPASS { background:var(--xpass); } .s-XFAIL { background:var(--xfail); color:#3d2e00 !important; }
    .s-SKIP { background:var(--skip); color:#24292f !important; }
    .pill { display:inline-block; padding:1px 7px; border-radius:10px; color:#fff; font-size:11px; font-weight:700; letter-spacing:.02em; }
    table.list { border-collapse:collapse; width:100%; } table.list td, table.list th { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; }
    table.list tr.row { cursor:pointer; } table.list tr.row:hover { background:var(--bg); }
    table.list td.msg { color:var(--muted); word-break:break-word; }
    .none { color:var(--muted); font-style:italic; }
    aside#drawer { position:fixed; top:0; right:0; bottom:0; width:min(720px, 96vw); background:#fff; border-left:1px solid var(--line);
      box-shadow:-8px 0 24px rgba(0,0,0,.12); overflow-y:auto; z-index:5; padding:0 20px 30px; }
    .drawer-head { display:flex; align-items:center; justify-content:space-between; position:sticky; top:0; background:#fff; padding:14px 0 8px; border-bottom:1px solid var(--line); }
    .drawer-head h2 { margin:0; font-size:15px; font-family:ui-monospace, Menlo, monospace; word-break:break-all; }
    #drawer-close { border:0; background:none; font-size:26px; cursor:pointer; line-height:1; color:var(--muted); }
    .case { border:1px solid var(--line); border-radius:8px; margin:12px 0; padding:10px 12px; }
    .case h3 { margin:0 0 4px; font-size:13px; font-family:ui-monospace, Menlo, monospace; word-break:break-all; }
    .case .loader { color:var(--muted); font-size:12px; margin-left:6px; }
    .case p { margin:6px 0; } .case .why { color:var(--fail); white-space:pre-wrap; word-break:break-word; }
    .case .quiet { color:var(--muted); }
    .case .note { color:#7d4e00; background:#fff8c5; padding:4px 8px; border-radius:6px; }
    .pair { display:grid; grid-template-columns:1fr 1fr; gap:8px; }
    .pair div span { font-size:11px; color:var(--muted); text-transform:uppercase; letter-spacing:.05em; }
    pre { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:8px; margin:2px 0 0; font:11.5px/1.4 ui-monospace, Menlo, monospace; overflow-x:auto; max-height:320px; white-space:pre; }
    .banner { padding:8px 12px; border-radius:6px; margin-top:14px; }
    .banner.bad { background:var(--fail); color:#fff; border:1px solid #a40e26; } .banner.good { background:#dafbe1; border:1px solid #aceebb; }
    .noscript { padding:20px 28px; }
    .controls select { padding:4px 6px; border:1px solid var(--line); border-radius:6px; font:inherit; max-width:220px; }
    .controls button#reset { border:1px solid var(--line); background:#fff; border-radius:6px; padding:4px 10px; font:inherit; cursor:pointer; }
    .search-error { color:var(--fail); font-size:12px; }
    .count { color:var(--muted); font-weight:normal; font-size:13px; }
    .pager { display:flex; gap:12px; align-items:center; margin:10px 0; }
    .pager button { border:1px solid var(--line); background:#fff; border-radius:6px; padding:4px 10px; font:inherit; cursor:pointer; }
    .pager button:disabled { color:var(--muted); cursor:default; }
    .repro span { font-size:11px; color:var(--muted); text-transform:uppercase; letter-spacing:.05em; }
    .banner { font-size:15px; }

    """

  static let script = #"""
    (function () {
      "use strict";
      const data = JSON.parse(document.getElementById("data").textContent);
      const order = ["ERROR", "TIMEOUT", "FAIL", "XPASS", "XFAIL", "PASS", "SKIP"];
      const rank = Object.fromEntries(order.map((s, i) => [s, i]));
      const unexpected = new Set(["FAIL", "ERROR", "TIMEOUT", "XPASS"]);
      const pageSize = Number(document.getElementById("results").dataset.pageSize);
      const el = (tag, attrs, ...children) => {
        const node = document.createElement(tag);
        for (const [k, v] of Object.entries(attrs || {})) {
          if (k === "class") node.className = v; else if (k === "text") node.textContent = v;
          else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
        }
        for (const c of children) if (c != null) node.append(c);
        return node;
      };
      const pill = (s) => el("span", { class: "pill s-" + s, text: s });
      const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
      const name = (r) => r.i + (r.f ? " [" + r.f + "]" : "");

      // The loader to open on: the one with the most unexpected results (the worst first), else the
      // first. With several loaders the combined view would let an old loader's expected failures
      // dominate every cell.
      const bad = data.loaders.map((l) => order.filter((s) => unexpected.has(s)).reduce((n, s) => n + l.counts[s], 0));
      const worst = bad.reduce((w, n, i) => (n > bad[w] ? i : w), 0);

      // Filter state, kept in the URL's fragment (works for a report opened from disk too).
      const keys = ["loader", "status", "architecture", "tuner", "mutation", "q", "page", "case"];
      const state = {};
      function readURL() {
        const params = new URLSearchParams(location.hash.slice(1));
        for (const k of keys) state[k] = params.get(k) || "";
        const index = data.loaders.findIndex((l) => l.id === state.loader);
        state.l = state.loader === "all" && data.loaders.length > 1 ? -1 : index >= 0 ? index : worst;
        state.pageNumber = Math.max(1, parseInt(state.page, 10) || 1);
      }
      function writeURL() {
        const params = new URLSearchParams();
        if (state.l !== worst) params.set("loader", state.l < 0 ? "all" : data.loaders[state.l].id);
        for (const k of ["status", "architecture", "tuner", "mutation", "q"]) if (state[k]) params.set(k, state[k]);
        if (state.pageNumber > 1) params.set("page", String(state.pageNumber));
        if (state.case) params.set("case", state.case);
        const text = params.toString();
        history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
      }

      // Loader cards
      const cards = document.getElementById("loaders");
      data.loaders.forEach((l) => {
        const total = order.reduce((n, s) => n + l.counts[s], 0);
        const bar = el("div", { class: "bar" });
        order.forEach((s) => { if (l.counts[s]) bar.append(el("div", { class: "s-" + s, style: "width:" + (100 * l.counts[s] / total) + "%", title: s + ": " + l.counts[s] })); });
        const counts = el("div", { class: "counts" });
        order.forEach((s) => { if (l.counts[s]) counts.append(el("span", {}, el("span", { class: "dot s-" + s }), el("b", { text: String(l.counts[s]) }), " " + s)); });
        cards.append(el("div", { class: "card" }, el("h3", { text: l.id }),
          el("div", { class: "versions", text: l.versions }), bar, counts));
      });

      // Regressions against the baseline (the banner above says whether there are any).
      if (data.diff && data.diff.regressed.length > 0) {
        const box = document.getElementById("baseline");
        box.append(el("h2", { text: "Regressions against the baseline (" + data.diff.regressed.length + ")" }));
        const table = el("table", { class: "list" });
        data.diff.regressed.forEach((c) => table.append(el("tr", {}, el("td", {}, pill(c.old), " → ", pill(c.new)), el("td", {}, el("code", { text: c.i + (c.f ? " [" + c.f + "]" : "") })), el("td", { text: c.l }), el("td", { class: "msg", text: c.msg }))));
        box.append(el("details", {}, el("summary", { text: data.diff.counts.join(", ") }), table));
      }

      // Controls
      const tabs = document.getElementById("loader-tabs");
      const choices = data.loaders.length > 1 ? [[-1, "All loaders"]] : [];
      data.loaders.forEach((l, i) => choices.push([i, l.id]));
      choices.forEach(([i, label]) => tabs.append(el("button", { role: "tab", "data-i": String(i), text: label, onclick: () => { state.l = i; state.pageNumber = 1; update(); } })));
      const selects = {
        status: [["", "any status"], ["unexpected", "unexpected (FAIL, ERROR, TIMEOUT, XPASS)"]].concat(order.map((s) => [s, s])),
        architecture: [["", "any architecture"]].concat([...new Set(data.results.map((r) => r.a))].sort(cmp).map((v) => [v, v])),
        tuner: [["", "any tuner"]].concat([...new Set(data.results.map((r) => r.t))].sort(cmp).map((v) => [v, v])),
        mutation: [["", "any mutation"]].concat([...new Set(data.results.map((r) => r.m))].sort(cmp).map((v) => [v, v])),
      };
      for (const [k, options] of Object.entries(selects)) {
        const select = document.getElementById(k);
        options.forEach(([value, label]) => select.append(el("option", { value: value, text: label })));
        select.addEventListener("change", (e) => { state[k] = e.target.value; state.pageNumber = 1; update(); });
      }
      const search = document.getElementById("search");
      search.addEventListener("input", (e) => { state.q = e.target.value.trim(); state.pageNumber = 1; update(); });
      document.getElementById("reset").addEventListener("click", () => {
        for (const k of ["status", "architecture", "tuner", "mutation", "q"]) state[k] = "";
        state.pageNumber = 1; update();
      });
      const legend = document.getElementById("legend");
      order.forEach((s) => legend.append(el("span", {}, el("span", { class: "dot s-" + s }), s)));

      // The case-insensitive regular expression over ids and messages; an invalid one matches
      // nothing and says why.
      function matcher() {
        const error = document.getElementById("search-error");
        error.textContent = "";
        if (!state.q) return () => true;
        try {
          const re = new RegExp(state.q, "i");
          return (r) => re.test(r.i) || re.test(r.msg || "");
        } catch (e) {
          error.textContent = "invalid regular expression: " + e.message;
          return () => false;
        }
      }

      function visible() {
        const match = matcher();
        return data.results.filter((r) => (state.l < 0 || r.l === state.l)
          && (!state.status || (state.status === "unexpected" ? unexpected.has(r.s) : r.s === state.status))
          && (!state.architecture || r.a === state.architecture) && (!state.tuner || r.t === state.tuner)
          && (!state.mutation || r.m === state.mutation) && match(r));
      }

      function update() {
        writeURL();
        draw();
      }

      function draw() {
        for (const b of tabs.children) b.setAttribute("aria-selected", String(Number(b.dataset.i) === state.l));
        for (const k of Object.keys(selects)) document.getElementById(k).value = state[k];
        if (search.value.trim() !== state.q) search.value = state.q;
        const rows = visible();
        drawList(rows);
        drawMatrix(rows);
      }

      // Every matching result, unexpected first (worst status first), a page at a time.
      function drawList(rows) {
        const sorted = [...rows].sort((a, b) => rank[a.s] - rank[b.s] || cmp(a.i, b.i) || cmp(a.f, b.f) || a.l - b.l);
        const pages = Math.max(1, Math.ceil(sorted.length / pageSize));
        if (state.pageNumber > pages) state.pageNumber = pages;
        const first = (state.pageNumber - 1) * pageSize;
        const shown = sorted.slice(first, first + pageSize);
        const nBad = rows.filter((r) => unexpected.has(r.s)).length;
        document.getElementById("count").textContent = rows.length + " of " + data.results.length + " result(s), " + nBad + " unexpected";
        const list = document.getElementById("results");
        list.replaceChildren();
        const pager = document.getElementById("pager");
        pager.replaceChildren();
        if (sorted.length === 0) { list.append(el("p", { class: "none", text: "No results match." })); return; }
        const table = el("table", { class: "list" }, el("tr", {}, el("th", { text: "status" }), el("th", { text: "case" }), el("th", { text: "loader" }), el("th", { text: "why" })));
        shown.forEach((r) => table.append(el("tr", { class: "row", "data-status": r.s, "data-loader": data.loaders[r.l].id, "data-id": r.i, onclick: () => openCase(r.i) },
          el("td", {}, pill(r.s)), el("td", {}, el("code", { text: name(r) })), el("td", { text: data.loaders[r.l].id }), el("td", { class: "msg", text: r.msg || "" }))));
        list.append(table);
        const go = (n) => { state.pageNumber = n; update(); window.scrollTo(0, list.offsetTop - 80); };
        pager.append(
          el("button", { type: "button", id: "prev", text: "← previous", onclick: () => go(state.pageNumber - 1) }),
          el("span", { id: "page", text: "page " + state.pageNumber + " of " + pages + " (" + (first + 1) + "–" + (first + shown.length) + ")" }),
          el("button", { type: "button", id: "next", text: "next →", onclick: () => go(state.pageNumber + 1) }));
        pager.querySelector("#prev").disabled = state.pageNumber <= 1;
        pager.querySelector("#next").disabled = state.pageNumber >= pages;
      }

      function drawMatrix(rows) {
        const tuners = [...new Set(data.results.map((r) => r.t))].sort(cmp);
        const byArch = new Map();
        for (const r of rows) {
          if (!byArch.has(r.a)) byArch.set(r.a, new Map());
          const muts = byArch.get(r.a);
          if (!muts.has(r.m)) muts.set(r.m, new Map());
          const cells = muts.get(r.m);
          if (!cells.has(r.t)) cells.set(r.t, []);
          cells.get(r.t).push(r);
        }
        const matrix = document.getElementById("matrix");
        matrix.replaceChildren();
        if (rows.length === 0) matrix.append(el("p", { class: "none", text: "No results match." }));
        [...byArch.keys()].sort(cmp).forEach((arch) => {
          const muts = byArch.get(arch);
          const used = tuners.filter((t) => [...muts.values()].some((c) => c.has(t)));
          const count = [...muts.values()].reduce((n, c) => n + [...c.values()].reduce((m, l) => m + l.length, 0), 0);
          const head = el("tr", {}, el("th", { class: "corner", text: "mutation ╲ tuner" }));
          used.forEach((t) => head.append(el("th", { text: t })));
          const body = el("tbody");
          [...muts.keys()].sort(cmp).forEach((m) => {
            const tr = el("tr", {}, el("th", { text: m, title: m }));
            used.forEach((t) => {
              const list = muts.get(m).get(t);
              if (!list) { tr.append(el("td", { class: "cell empty", title: "no case" })); return; }
              const worstStatus = list.reduce((w, r) => (rank[r.s] < rank[w] ? r.s : w), "SKIP");
              const good = list.filter((r) => r.s === "PASS" || r.s === "XPASS").length;
              const ran = list.filter((r) => r.s !== "SKIP").length;
              const label = ran === 0 ? "–" : good === ran ? "✓" : String(ran - good);
              tr.append(el("td", { class: "cell s-" + worstStatus, text: label, title: arch + " · " + m + " · " + t + ": " + good + "/" + ran + " passing" + (list.length > ran ? ", " + (list.length - ran) + " skipped" : ""),
                onclick: () => openDrawer(arch + " · " + m + " · " + t, list) }));
            });
            body.append(tr);
          });
          matrix.append(el("div", { class: "arch" }, el("h2", {}, arch + " ", el("span", { text: count + " result(s)" })), el("div", { class: "scroll" }, el("table", { class: "grid" }, el("thead", {}, head), body))));
        });
      }

      const drawer = document.getElementById("drawer");
      function openCase(id) {
        const hit = data.results.filter((r) => r.i === id);
        if (!hit.length) return;
        state.case = id;
        writeURL();
        openDrawer(id, hit);
      }
      function openDrawer(title, list) {
        document.getElementById("drawer-title").textContent = title;
        const body = document.getElementById("drawer-body");
        body.replaceChildren();
        [...list].sort((a, b) => rank[a.s] - rank[b.s] || cmp(a.i, b.i) || a.l - b.l).forEach((r) => {
          const box = el("div", { class: "case" }, el("h3", {}, pill(r.s), " ", name(r), el("span", { class: "loader", text: data.loaders[r.l].id })));
          if (r.d) box.append(el("p", { text: r.d }));
          if (r.msg) box.append(el("p", { class: unexpected.has(r.s) || r.s === "XFAIL" ? "why" : "quiet", text: r.msg }));
          if (r.x) box.append(el("p", { class: "note", text: r.x }));
          if (r.rep) box.append(el("div", { class: "repro" }, el("span", { text: "reproduce" }), el("pre", { text: r.rep })));
          if (r.s !== "SKIP" && (r.e || r.o)) box.append(el("div", { class: "pair" }, el("div", {}, el("span", { text: "expected" }), el("pre", { text: r.e || "—" })), el("div", {}, el("span", { text: "actual" }), el("pre", { text: r.o || (r.s === "XFAIL" ? "not kept for expected failures (adaptest run --full-details keeps it)" : "—") }))));
          body.append(box);
        });
        drawer.hidden = false;
        document.getElementById("drawer-close").focus();
      }
      const closeDrawer = () => { drawer.hidden = true; if (state.case) { state.case = ""; writeURL(); } };
      document.getElementById("drawer-close").addEventListener("click", closeDrawer);
      document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeDrawer(); });
      window.addEventListener("hashchange", () => { readURL(); draw(); });
      readURL();
      draw();
      if (state.case) openCase(state.case);
    })();

    """#
}
