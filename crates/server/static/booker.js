// Progressive enhancement for the booking pages: every flow works without this file.
// - Without a `tz` in the address, the booker first shows the host's zone; switch to the browser's own zone.
// - Changing the time zone or clock applies at once (no Apply button needed).
const root = document.querySelector("[data-booker]");
if (root) {
  const url = new URL(window.location.href);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const select = root.querySelector("select[name=tz]");
  if (!url.searchParams.has("tz") && zone && select && select.value !== zone
      && [...select.options].some((o) => o.value === zone)) {
    url.searchParams.set("tz", zone);
    window.location.replace(url.toString());
  }
  for (const control of root.querySelectorAll("form.prefs select")) {
    control.addEventListener("change", () => control.form.requestSubmit());
  }
  for (const button of root.querySelectorAll("form.prefs button")) {
    button.hidden = true;
  }
}
