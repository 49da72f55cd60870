// The patient page's own script (served from this origin, so the CSP needs no inline script).
// textual.js starts the terminal from window.onload; start it only once the bundled font is
// loaded (the terminal measures its cells when it starts), then put the keyboard in it.
(() => {
  "use strict";
  const FONT = '16px "Roboto Mono"';
  const FONT_WAIT_MS = 3000;

  const startTerminal = window.onload;
  window.onload = null;

  function focusTerminal() {
    const input = document.querySelector(".xterm-helper-textarea");
    if (input) {
      input.focus();
    }
  }

  function restart() {
    const url = new URL(window.location.href);
    url.searchParams.delete("delay");
    window.location.assign(url.pathname + url.search);
  }

  window.addEventListener("load", async (event) => {
    document.getElementById("restart")?.addEventListener("click", restart);
    const timeout = new Promise((resolve) => setTimeout(resolve, FONT_WAIT_MS));
    try {
      await Promise.race([document.fonts.load(FONT), timeout]);
    } catch (error) {
      // the fallback monospace font will do
    }
    if (typeof startTerminal === "function") {
      startTerminal(event);
    }
    focusTerminal();
  });
})();
