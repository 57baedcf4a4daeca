/* paramscope dashboard: one trial — params, values, the reports curve and the error tail. */
"use strict";

(() => {
  const {api, el, fmt, when, showError, draw} = PS;
  const parts = window.location.pathname.split("/");
  const name = decodeURIComponent(parts[2] || "");
  const number = parts[4];
  const path = `/api/studies/${encodeURIComponent(name)}/trials/${number}`;

  function fill(id, entries) {
    document.getElementById(id).replaceChildren(...entries.map(([k, v]) =>
      el("tr", {}, el("th", {text: k}), el("td", {text: fmt(v)}))));
  }

  async function load() {
    const data = await api(path);
    const t = data.trial;
    fill("info", [["state", t.state], ["started", when(t.started)], ["finished", when(t.finished)],
      ["duration (s)", t.duration === null ? null : Number(t.duration.toFixed(3))],
      ["worker", t.worker], ["retry of", t.retry_of]]);
    fill("params", Object.entries(t.params));
    fill("values", Object.entries(t.values));
    if (t.reports.length) await draw("plot-reports", data.figure);
    else document.getElementById("plot-reports").hidden = true;
    const section = document.getElementById("error-section");
    section.hidden = !t.error_tail.length;
    if (t.error_tail.length) {
      document.getElementById("error-title").textContent = t.error_lines > t.error_tail.length
        ? `error (last ${t.error_tail.length} of ${t.error_lines} lines)` : "error";
      document.getElementById("error-tail").textContent = t.error_tail.join("\n");
    }
    return t;
  }

  async function setupFail(trial) {
    const studyInfo = await api(`/api/studies/${encodeURIComponent(name)}`);
    const section = document.getElementById("fail-section");
    section.hidden = !(studyInfo.writes && trial.state === "running");
    document.getElementById("fail-button").addEventListener("click", async () => {
      const result = document.getElementById("fail-result");
      try {
        await api(path + "/fail", {}, {reason: "stopped by hand"});
        result.textContent = "marked failed";
        await load();
      } catch (err) {
        result.textContent = err.message;
      }
    });
  }

  async function start() {
    const link = document.getElementById("study-link");
    link.textContent = name;
    link.setAttribute("href", "/studies/" + encodeURIComponent(name));
    document.getElementById("trial-name").textContent = `trial #${number}`;
    document.title = `trial ${number} of ${name} · paramscope`;
    try {
      const trial = await load();
      await setupFail(trial);
      document.body.dataset.ready = "1";
    } catch (err) {
      showError(err.message);
    }
  }

  start();
})();
