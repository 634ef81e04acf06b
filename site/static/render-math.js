// Typeset the notebooks' LaTeX ($...$, $$...$$, \(...\), \[...\]) with the vendored KaTeX, in
// markdown and in rich outputs (code and plain-text outputs, inside <pre> and <code>, are left
// alone). A formula KaTeX cannot typeset (a syntax error, or a command KaTeX does not know) is
// left as its TeX source and reported on the console, so that the browser tests
// (tests/test_site.py) catch it.
document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
    ],
    ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"],
    throwOnError: true,
    errorCallback: function (message, error) {
      console.error("KaTeX could not typeset a formula: " + message + " " + error);
    },
  });
  document.querySelectorAll(".katex-error").forEach(function (element) {
    console.error("KaTeX could not render a formula: " + element.getAttribute("title"));
  });
  document.documentElement.dataset.mathRendered = "true";
});
