// remitq console: keyboard navigation of lists and upload progress.
// No framework; the pages work without this file.
(function () {
  "use strict";
  function worklist() {
    var table = document.getElementById("worklist");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-href]"));
    if (!rows.length) { return; }
    var cur = -1;
    function select(i) {
      if (i < 0 || i >= rows.length) { return; }
      if (cur >= 0) { rows[cur].classList.remove("sel"); rows[cur].removeAttribute("aria-selected"); }
      cur = i;
      rows[cur].classList.add("sel");
      rows[cur].setAttribute("aria-selected", "true");
      rows[cur].querySelector("a").focus();
    }
    rows.forEach(function (r, i) {
      r.addEventListener("click", function (e) {
        if (e.target.tagName !== "A") { window.location.href = r.getAttribute("data-href"); }
      });
      r.querySelector("a").addEventListener("focus", function () { if (cur !== i) { select(i); } });
    });
    document.addEventListener("keydown", function (e) {
      var t = e.target.tagName;
      if (t === "INPUT" || t === "SELECT" || t === "TEXTAREA" || e.ctrlKey || e.metaKey || e.altKey) { return; }
      if (e.key === "j") { select(cur < 0 ? 0 : cur + 1); e.preventDefault(); }
      else if (e.key === "k") { select(cur < 0 ? 0 : cur - 1); e.preventDefault(); }
      else if (e.key === "Enter" && cur >= 0 && t !== "A") { window.location.href = rows[cur].getAttribute("data-href"); }
    });
  }
  function upload() {
    var form = document.getElementById("upload");
    if (!form || !window.FormData) { return; }
    var input = document.getElementById("file");
    var bar = document.getElementById("upload-progress");
    ["dragenter", "dragover"].forEach(function (n) {
      form.addEventListener(n, function (e) { e.preventDefault(); form.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (n) {
      form.addEventListener(n, function () { form.classList.remove("over"); });
    });
    form.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
    });
    form.addEventListener("submit", function (e) {
      if (!input.files.length) { return; }
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { bar.value = Math.round(100 * p.loaded / p.total); bar.textContent = bar.value + "%"; }
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.status < 400) { window.location.href = xhr.responseURL; return; }
        document.open(); document.write(xhr.responseText); document.close();
      });
      xhr.send(new FormData(form));
    });
  }
  document.addEventListener("DOMContentLoaded", function () { worklist(); upload(); });
})();
