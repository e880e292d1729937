// Fills a slug input (data-slug-from="<id of the name input>") from the name as it
// is typed, the way rbac.services.slug_from_name makes it, until the slug is typed
// in by hand. Without this script an empty slug is still made from the name on saving.
(function () {
  "use strict";

  function slugFrom(name) {
    return name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 50)
      .replace(/-+$/, "");
  }

  function follow(slug) {
    var name = document.getElementById(slug.dataset.slugFrom);
    if (!name) return;
    // A slug already typed (a form shown again with errors) is the person's own.
    var own = slug.value !== "" && slug.value !== slugFrom(name.value);
    slug.addEventListener("input", function () {
      own = slug.value !== "";
    });
    name.addEventListener("input", function () {
      if (!own) slug.value = slugFrom(name.value);
    });
  }

  function start() {
    document.querySelectorAll("input[data-slug-from]").forEach(follow);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
