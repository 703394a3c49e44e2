// paperboy: progressive enhancement only; every feature works without JavaScript.
(function () {
  "use strict";
  // Upvote without leaving the page (the form posts normally when this fails).
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("upvote") || !window.fetch) return;
    ev.preventDefault();
    var button = form.querySelector("button");
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (r) {
        if (r.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname + location.search); return null; }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (j) {
        if (!j) return;
        button.setAttribute("aria-pressed", j.upvoted ? "true" : "false");
        var count = button.querySelector(".count");
        if (count) count.textContent = String(j.upvotes);
      })
      .catch(function () { form.submit(); })
      .finally(function () { button.disabled = false; });
  });
  // TeX math in titles and abstracts, when the page loaded KaTeX.
  window.addEventListener("DOMContentLoaded", function () {
    if (typeof window.renderMathInElement !== "function") return;
    document.querySelectorAll(".tex").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false },
          { left: "\\[", right: "\\]", display: true },
        ],
        throwOnError: false,
      });
    });
  });
})();
