// The "being prepared" page of a generated product: polls the status endpoint and opens the
// product when its build is done (or reloads to show a failure).
(function () {
  "use strict";

  var box = document.getElementById("product-status");
  if (!box || (box.dataset.state !== "queued" && box.dataset.state !== "building")) { return; }
  var delay = 700;

  function ready(status) {
    box.dataset.state = "ready";
    box.className = "product-status ready";
    document.getElementById("product-message").textContent = box.dataset.readyText;
    var link = document.getElementById("product-ready-link");
    link.href = status.file_url;
    link.hidden = false;
    window.location.assign(status.file_url);
  }

  function showProgress(progress) {  // the builder's current step, when it reports its steps
    var wrap = document.getElementById("product-progress");
    if (!wrap || !progress) { return; }
    wrap.hidden = false;
    document.getElementById("product-progress-bar").value = progress.percent;
    document.getElementById("product-step").textContent = progress.text;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (status) {
        if (status.state === "ready") { ready(status); return; }
        showProgress(status.progress);
        if (status.state === "failed" || status.state === "missing") { window.location.reload(); return; }
        delay = Math.min(delay * 1.3, status.progress ? 2000 : 8000);
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 8000); });
  }

  setTimeout(poll, delay);
})();
