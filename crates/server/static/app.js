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

// - Onboarding and sign-up: the time zone field starts as the browser's own zone (the server's guess is UTC).
for (const field of document.querySelectorAll("input[data-browser-zone]")) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) field.value = zone;
}
