/* paramscope dashboard: the studies list (refreshed every 5 s). */
"use strict";

(() => {
  const {api, el, fmt, when, showError} = PS;
  const STATES = ["complete", "running", "queued", "failed", "stopped"];

  async function refresh() {
    try {
      const data = await api("/api/studies");
      const body = document.querySelector("#studies tbody");
      body.replaceChildren(...data.studies.map((s) => el("tr", {dataset: {study: s.name}},
        el("td", {}, el("a", {href: "/studies/" + encodeURIComponent(s.name), text: s.name})),
        el("td", {text: fmt(s.trials)}),
        ...STATES.map((state) => el("td", {text: fmt(s.counts[state])})),
        el("td", {text: fmt(s.best_value) + (s.best_value === null ? "" : ` (${s.direction})`)}),
        el("td", {text: when(s.last_activity)}),
      )));
      document.getElementById("empty").hidden = data.studies.length > 0;
      showError("");
    } catch (err) {
      showError(err.message);
    }
  }

  refresh();
  setInterval(refresh, 5000);
})();
