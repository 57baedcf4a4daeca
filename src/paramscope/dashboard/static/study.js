/* paramscope dashboard: one study, live — summary, plots, and a table paged on the server.

Live updates poll /changes with the cursor of the last answer: the server returns only trials
added or changed since then. New complete trials are appended to the history plot in place; the
table page and the counts are refreshed; the sampled plots (parallel coordinates, importance,
Pareto front) are rebuilt on the server at most every REBUILD_MS while trials keep arriving. */
"use strict";

(() => {
  const {api, el, fmt, when, showError, draw} = PS;
  const POLL_MS = 1000;
  const REBUILD_MS = 15000;
  const name = PS.studyFromPath();
  const base = "/api/studies/" + encodeURIComponent(name);
  const table = {offset: 0, limit: 50, sort: "number", order: "asc", filter: "", state: ""};
  let summary = null;
  let cursor = null;
  let best = null;          // best feasible value of objective 0 drawn so far
  let stale = false;        // sampled plots out of date
  let lastRebuild = 0;

  function objectiveNames() { return Object.keys(summary.objectives); }

  function renderSummary(counts) {
    const box = document.getElementById("summary");
    const parts = Object.entries(counts).map(([state, n]) =>
      el("span", {class: "count " + state, dataset: {state}}, `${state} ${n}`));
    const objectives = Object.entries(summary.objectives).map(([k, d]) => `${k} (${d})`).join(", ");
    const bestLine = summary.best
      ? el("span", {}, "best: ", el("a", {href: trialHref(summary.best.number),
        text: `#${summary.best.number}`}), ` ${fmt(summary.best.value)}`)
      : null;
    box.replaceChildren(el("div", {}, `objectives: ${objectives} · sampler: ${summary.sampler}`),
      el("div", {id: "counts"}, ...parts), ...(bestLine ? [bestLine] : []));
  }

  function trialHref(number) { return `/studies/${encodeURIComponent(name)}/trials/${number}`; }

  function columns() {
    const cols = [["number", "#"], ["state", "state"]];
    for (const k of objectiveNames()) cols.push([`values.${k}`, k]);
    for (const k of Object.keys(summary.constraints)) cols.push([`values.${k}`, k]);
    for (const k of Object.keys(summary.space)) cols.push([`params.${k}`, k]);
    cols.push(["duration", "duration (s)"], ["finished", "finished"]);
    return cols;
  }

  function cell(trial, key) {
    if (key === "number") return el("a", {href: trialHref(trial.number), text: `#${trial.number}`});
    if (key === "state") return trial.state + (trial.error ? `: ${trial.error}` : "");
    if (key === "duration") return fmt(trial.duration === null ? null : Number(trial.duration.toFixed(2)));
    if (key === "finished") return when(trial.finished);
    const [source, field] = [key.slice(0, key.indexOf(".")), key.slice(key.indexOf(".") + 1)];
    return fmt((trial[source] || {})[field]);
  }

  function renderHead() {
    const row = el("tr", {}, ...columns().map(([key, label]) => {
      const mark = table.sort === key ? (table.order === "asc" ? " ▲" : " ▼") : "";
      const th = el("th", {class: "sortable", dataset: {key}}, label + mark);
      th.addEventListener("click", () => {
        table.order = table.sort === key && table.order === "asc" ? "desc" : "asc";
        table.sort = key;
        table.offset = 0;
        loadTable();
      });
      return th;
    }));
    document.querySelector("#trials thead").replaceChildren(row);
  }

  async function loadTable() {
    const errorBox = document.getElementById("table-error");
    try {
      const page = await api(base + "/trials", table);
      renderHead();
      const cols = columns();
      document.querySelector("#trials tbody").replaceChildren(...page.trials.map((t) =>
        el("tr", {class: t.state, dataset: {number: t.number}},
          ...cols.map(([key]) => el("td", {}, cell(t, key))))));
      const last = Math.min(table.offset + table.limit, page.total);
      document.getElementById("page-info").textContent =
        `${page.total ? table.offset + 1 : 0}–${last} of ${page.total}`;
      document.getElementById("page-info").dataset.total = String(page.total);
      document.getElementById("prev").disabled = table.offset === 0;
      document.getElementById("next").disabled = last >= page.total;
      errorBox.textContent = "";
    } catch (err) {
      errorBox.textContent = err.message;
    }
  }

  async function loadFigure(kind, prefetched) {
    const figure = await (prefetched || api(`${base}/figures/${kind}`));
    const div = await draw("plot-" + kind, figure);
    if (kind === "history") {
      const line = div.data.find((t) => t.name === "best so far");
      best = line && line.y.length ? line.y[line.y.length - 1] : null;
    }
  }

  async function loadFigures(kinds, prefetched) {
    const results = await Promise.allSettled(kinds.map((k) => loadFigure(k, (prefetched || {})[k])));
    const failed = results.find((r) => r.status === "rejected");
    if (failed) showError(failed.reason.message);
  }

  function sampledKinds() {
    return objectiveNames().length > 1 ? ["pareto", "parallel", "importance"] : ["parallel", "importance"];
  }

  function better(a, b) {
    return b === null || (summary.objectives[objectiveNames()[0]] === "max" ? a > b : a < b);
  }

  /** Append new complete trials to the history plot without asking for the whole figure. */
  function extendHistory(trials) {
    const div = document.getElementById("plot-history");
    if (!div.data) return;
    const key = objectiveNames()[0];
    const done = trials.filter((t) => t.state === "complete" && t.values[key] !== undefined);
    if (!done.length) return;
    const markers = div.data.findIndex((t) => t.name === "complete");
    const line = div.data.findIndex((t) => t.name === "best so far");
    const feasible = done.filter((t) => t.feasible);
    if (markers < 0 || line < 0 || feasible.length < done.length) {
      loadFigure("history");  // a trace to extend is missing (e.g. the first feasible trial)
      return;
    }
    const xs = [];
    const ys = [];
    for (const t of done) {
      if (better(t.values[key], best)) best = t.values[key];
      xs.push(t.number);
      ys.push(best);
    }
    Plotly.extendTraces(div, {x: [xs], y: [done.map((t) => t.values[key])],
      customdata: [xs]}, [markers]);
    Plotly.extendTraces(div, {x: [xs], y: [ys]}, [line]);
    div.dataset.points = String(PS.countPoints(div.data));
  }

  async function poll() {
    try {
      const found = await api(base + "/changes", {cursor});
      cursor = found.cursor;
      document.getElementById("live").dataset.cursor = cursor;
      if (found.trials.length) {
        if (found.counts) renderSummary(found.counts);
        extendHistory(found.trials);
        stale = true;
        loadTable();
      }
      if (stale && Date.now() - lastRebuild > REBUILD_MS) {
        stale = false;
        lastRebuild = Date.now();
        summary = {...summary, ...(await api(base))};
        renderSummary(summary.counts);
        loadFigures(sampledKinds());
      }
      document.getElementById("live").classList.remove("offline");
    } catch (err) {
      document.getElementById("live").classList.add("offline");
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  function setupWrites() {
    if (!summary.writes) return;
    const section = document.getElementById("writes");
    section.hidden = false;
    const example = {};
    for (const [k, p] of Object.entries(summary.space)) {
      example[k] = p.type === "choice" ? p.options[0] : p.low;
    }
    document.getElementById("enqueue-params").value = JSON.stringify(example);
    document.getElementById("enqueue-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = document.getElementById("enqueue-result");
      try {
        const params = JSON.parse(document.getElementById("enqueue-params").value);
        const made = await api(base + "/enqueue", {}, {params});
        result.textContent = `queued trial #${made.trial.number}`;
      } catch (err) {
        result.textContent = err.message;
      }
    });
  }

  function setupTable() {
    document.getElementById("table-form").addEventListener("submit", (event) => {
      event.preventDefault();
      table.filter = document.getElementById("filter").value.trim();
      table.state = document.getElementById("state").value;
      table.offset = 0;
      loadTable();
    });
    document.getElementById("prev").addEventListener("click", () => {
      table.offset = Math.max(0, table.offset - table.limit);
      loadTable();
    });
    document.getElementById("next").addEventListener("click", () => {
      table.offset += table.limit;
      loadTable();
    });
  }

  async function start() {
    document.getElementById("study-name").textContent = name;
    document.title = `${name} · paramscope`;
    // Ask for the plots every study has at once; the server builds them while plotly.js loads.
    const early = {};
    for (const kind of ["history", "parallel", "importance"]) {
      early[kind] = api(`${base}/figures/${kind}`);
      early[kind].catch(() => null);  // reported by loadFigures
    }
    try {
      summary = await api(base);
    } catch (err) {
      showError(err.message);
      return;
    }
    cursor = summary.cursor;
    renderSummary(summary.counts);
    setupTable();
    setupWrites();
    await Promise.all([loadTable(), loadFigures(["history", ...sampledKinds()], early)]);
    lastRebuild = Date.now();
    document.body.dataset.ready = "1";
    setTimeout(poll, POLL_MS);
  }

  start();
})();
