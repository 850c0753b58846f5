// Progressive enhancement for the host's app: every page works without this file.
// - Copy buttons beside public links: shown only when the clipboard can be written; the link stays selectable
//   text for everyone else.
if (navigator.clipboard) {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(source.value);
      button.textContent = button.dataset.copied;
    });
  }
}
