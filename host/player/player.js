// The player page: one rrweb Replayer per window of a recording, kept paused. The renderer
// calls `rv.load` once, then `rv.show` for each frame in increasing time order and captures a
// screenshot after each call. Only forward seeks are made per window, because rrweb 2.x can
// show a wrong scroll position after a backward seek.
(function () {
  "use strict";

  const FOOTER_HEIGHT = 32;

  // Inserted into every replayed document so that one instant always paints the same pixels:
  // no transitions or animations caught mid-way, no blinking caret.
  const FREEZE_RULES = [
    "*, *::before, *::after { transition: none !important; animation: none !important; " +
      "caret-color: transparent !important; scroll-behavior: auto !important; }",
  ];

  const state = { windows: [], errors: [], warnings: 0 };

  window.addEventListener("error", (event) => {
    state.errors.push(String(event.message || event.error));
  });
  window.addEventListener("unhandledrejection", (event) => {
    state.errors.push(String(event.reason));
  });
  // rrweb reports replay problems it recovers from as warnings; count them for the logs.
  const warn = console.warn.bind(console);
  console.warn = (...args) => {
    state.warnings += 1;
    warn(...args);
  };

  function describe(error) {
    if (error && error.stack) return String(error.stack).split("\n").slice(0, 3).join(" | ");
    return String(error);
  }

  // rrweb 2.2.2 calls customElements.define for every node recorded as a custom element, and
  // define throws for a name that is not a valid custom element name (`webview`), which stops
  // the whole rebuild. Such nodes are replayed as unknown elements instead.
  const RESERVED_NAMES = new Set([
    "annotation-xml", "color-profile", "font-face", "font-face-src", "font-face-uri",
    "font-face-format", "font-face-name", "missing-glyph",
  ]);
  const CUSTOM_NAME = /^[a-z][-.0-9_a-z\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u037d\u037f-\u1fff\u200c\u200d\u203f\u2040\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd]*$/;

  function validCustomName(name) {
    return CUSTOM_NAME.test(name) && name.includes("-") && !RESERVED_NAMES.has(name);
  }

  // Walks serialized nodes with an explicit stack: recorded DOMs nest deeper than is safe
  // for recursion.
  function clearInvalidCustom(root) {
    const stack = root ? [root] : [];
    while (stack.length > 0) {
      const node = stack.pop();
      if (node.isCustom && !validCustomName(node.tagName)) delete node.isCustom;
      if (node.childNodes) for (const child of node.childNodes) if (child) stack.push(child);
    }
  }

  function sanitize(events) {
    for (const event of events) {
      const data = event && event.data;
      if (!data) continue;
      if (event.type === 2) clearInvalidCustom(data.node);
      if (event.type === 3 && data.source === 0 && Array.isArray(data.adds)) {
        for (const add of data.adds) if (add) clearInvalidCustom(add.node);
      }
    }
    return events;
  }

  function load(windows) {
    const footer = document.createElement("div");
    footer.id = "rv-footer";
    document.body.appendChild(footer);
    for (const events of windows) {
      const root = document.createElement("div");
      root.className = "rv-window rv-hidden";
      document.body.appendChild(root);
      const entry = { root, replayer: null, failure: null, click: null };
      try {
        entry.replayer = new rrweb.Replayer(sanitize(events), {
          root,
          insertStyleRules: FREEZE_RULES,
          mouseTail: false,
          showWarning: true,
          showDebug: false,
          skipInactive: false,
          triggerFocus: false,
          pauseAnimation: true,
          UNSAFE_replayCanvas: false,
          speed: 1,
        });
        const click = document.createElement("div");
        click.className = "rv-click";
        entry.replayer.wrapper.appendChild(click);
        entry.click = click;
      } catch (error) {
        entry.failure = describe(error);
      }
      state.windows.push(entry);
    }
    return state.windows.map((w) => w.failure);
  }

  function layout(entry) {
    const iframe = entry.replayer.iframe;
    const width = Number(iframe.width) || iframe.clientWidth || window.innerWidth;
    const height = Number(iframe.height) || iframe.clientHeight || window.innerHeight;
    const areaWidth = window.innerWidth;
    const areaHeight = window.innerHeight - FOOTER_HEIGHT;
    const scale = Math.min(areaWidth / width, areaHeight / height);
    const left = Math.floor((areaWidth - width * scale) / 2);
    const top = Math.floor((areaHeight - height * scale) / 2);
    entry.root.style.width = width + "px";
    entry.root.style.height = height + "px";
    entry.root.style.transform =
      "translate(" + left + "px, " + top + "px) scale(" + scale + ")";
    return { width, height };
  }

  function placeClick(entry, on) {
    const mouse = entry.replayer.wrapper.querySelector(".replayer-mouse");
    entry.click.classList.toggle("rv-on", Boolean(on && mouse));
    if (on && mouse) {
      entry.click.style.left = mouse.style.left;
      entry.click.style.top = mouse.style.top;
    }
  }

  function writeFooter(footer) {
    const element = document.getElementById("rv-footer");
    element.textContent = "";
    if (footer.cut) {
      const cut = document.createElement("span");
      cut.className = "rv-cut";
      cut.textContent = footer.cut;
      element.appendChild(cut);
    }
    const time = document.createElement("span");
    time.className = "rv-time";
    time.textContent = "REC_T " + footer.recT + "s";
    element.appendChild(time);
    const rest = (footer.window ? "  " + footer.window : "") + "  " + (footer.url || "(no URL)");
    element.appendChild(document.createTextNode(rest));
  }

  function built(entry) {
    const doc = entry.replayer.iframe.contentDocument;
    if (!doc || !doc.documentElement) return false;
    return entry.replayer.getMirror().getId(doc.documentElement) > 0;
  }

  function show(index, offset, footer) {
    const entry = state.windows[index];
    if (!entry || entry.failure) {
      return { built: false, thrown: entry ? entry.failure : "no such window", errors: [] };
    }
    const before = state.errors.length;
    let thrown = null;
    try {
      entry.replayer.pause(offset);
    } catch (error) {
      thrown = describe(error);
    }
    state.windows.forEach((other, i) => other.root.classList.toggle("rv-hidden", i !== index));
    const size = layout(entry);
    placeClick(entry, footer.click);
    writeFooter(footer);
    return {
      built: built(entry),
      thrown,
      errors: state.errors.slice(before),
      width: size.width,
      height: size.height,
      warnings: state.warnings,
    };
  }

  // Plays a window from `offset` at 1x, for the wall-clock baseline of the benchmark.
  function play(index, offset) {
    const entry = state.windows[index];
    state.windows.forEach((other, i) => other.root.classList.toggle("rv-hidden", i !== index));
    entry.replayer.play(offset);
    layout(entry);
    writeFooter({ recT: Math.floor(offset / 1000), url: "", window: null, cut: null });
    return true;
  }

  window.rv = { load, show, play };
})();
