/* paramscope dashboard: shared helpers (fetching JSON, building DOM safely, drawing plots). */
"use strict";

const PS = (() => {
  /** GET (or POST with a JSON body) an API path; throws Error(message) on an error status. */
  async function api(path, params, body) {
    const url = new URL(path, window.location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
    }
    const init = body === undefined ? {} : {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify(body),
    };
    const response = await fetch(url, init);
    const data = await response.json().catch(() => ({error: response.statusText}));
    if (!response.ok) throw new Error(data.error || String(response.status));
    return data;
  }

  /** Build an element; text children become text nodes (never parsed as HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "text") node.textContent = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fmt(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number") {
      if (Number.isInteger(v)) return String(v);
      return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)
        ? v.toExponential(4) : String(Number(v.toPrecision(6)));
    }
    return String(v);
  }

  function when(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toISOString().replace("T", " ").slice(0, 19);
  }

  function showError(message) {
    const box = document.getElementById("error");
    if (!box) return;
    box.textContent = message || "";
    box.hidden = !message;
  }

  /** Resolves once every deferred script (plotly.js last) has run. */
  const plotlyReady = new Promise((resolve) => {
    if (window.Plotly) resolve();
    document.addEventListener("DOMContentLoaded", resolve);  // after every deferred script
    window.addEventListener("load", resolve);
  });

  /** Draw a plotly JSON figure; marks the div rendered with its point count for tests. */
  async function draw(id, figure) {
    await plotlyReady;
    const div = document.getElementById(id);
    div.hidden = false;
    const config = {displaylogo: false, responsive: true};
    await Plotly.react(div, figure.data, figure.layout, config);
    div.dataset.points = String(countPoints(div.data));
    div.dataset.rendered = "1";
    return div;
  }

  /** Points drawn: markers of every marker trace; else polylines (trials) of line traces. */
  function countPoints(data) {
    const traces = data || [];
    const marked = traces.filter((t) => String(t.mode || "").includes("markers") || t.type === "bar");
    if (marked.length) return marked.reduce((n, t) => n + (t.x || t.y || []).length, 0);
    return traces.reduce((n, t) => n + (t.x || []).filter((v) => v === null).length, 0);
  }

  function studyFromPath() {
    return decodeURIComponent(window.location.pathname.split("/")[2] || "");
  }

  return {api, el, fmt, when, showError, draw, countPoints, studyFromPath};
})();
