// Typeset the site's maths with the vendored KaTeX (site/vendor/katex). The Sphinx extension
// (site/_ext/course_site.py) writes each formula as \(tex\) in a span.math or \[tex\] in a
// div.math; this replaces each by KaTeX's rendering. A formula KaTeX cannot typeset (a syntax
// error, or a command KaTeX does not know) is left as its TeX source and reported on the console,
// so that the browser tests (tests/test_site.py) catch it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("span.math, div.math").forEach(function (element) {
    var source = element.textContent.trim();
    var display = source.startsWith("\\[");
    var tex = source.replace(/^\\[(\[]/, "").replace(/\\[)\]]$/, "");
    var target = element;
    if (display) {
      // Keep the equation number and permalink (if any) and replace only the formula.
      target = document.createElement("span");
      target.className = "katex-target";
      element.textContent = "";
      element.appendChild(target);
    }
    try {
      katex.render(tex, target, { displayMode: display, throwOnError: true });
    } catch (error) {
      target.textContent = source;
      console.error("KaTeX could not typeset a formula: " + tex + " " + error);
    }
  });
  document.documentElement.dataset.mathRendered = "true";
});
