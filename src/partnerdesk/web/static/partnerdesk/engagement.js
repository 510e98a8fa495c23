// The engagement page: a link to a folded section (#agreement from another page, say) opens it.
// Browsers open a <details> only for a target inside it; the section's id is on its outside.
// Everything works without this script: a folded section opens with a click on its heading.
"use strict";
(() => {
  const openTarget = () => {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const target = id ? document.getElementById(id) : null;
    const fold = target && target.matches("section.fold") ? target.querySelector(":scope > details") : null;
    if (fold && !fold.open) {
      fold.open = true;
      target.scrollIntoView();
    }
  };
  window.addEventListener("hashchange", openTarget);
  document.addEventListener("DOMContentLoaded", openTarget);
})();
