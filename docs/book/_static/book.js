// Small fixes for reading saved widgets on the website.
(function () {
  // 1. ipywidgets' labels typeset with MathJax 2's API (MathJax.Hub.Queue); the pages load MathJax 3.
  //    Give them a MathJax 2-shaped entry point that forwards to MathJax 3.
  function ensureHub() {
    var mj = window.MathJax;
    if (mj && !mj.Hub) {
      mj.Hub = {Queue: function (job) {
        var el = job && job[2];
        if (window.MathJax.typesetPromise && el) { window.MathJax.typesetPromise([el]).catch(function () {}); }
      }};
    }
  }
  // 2. Saved widgets render their images without alt text (ipywidgets' Image has none): give each one
  //    a description a screen reader can announce.
  function label(root) {
    root.querySelectorAll(".jupyter-widgets img:not([alt]), .widget-image:not([alt])").forEach(function (img) {
      img.setAttribute("alt", "Picture drawn by the lesson's widget, as saved at the end of the run");
    });
  }
  ensureHub();
  new MutationObserver(function () { ensureHub(); label(document); })
    .observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", function () { ensureHub(); label(document); });
})();
