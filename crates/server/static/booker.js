// Progressive enhancement for the booking pages: every flow works without this file.
// - Without a `tz` in the address, the booker first shows the host's zone; switch to the browser's own zone.
// - Changing the time zone or clock applies at once (no Apply button needed).
// - Inside Cal.com's embed (the page was loaded with `?embed=<namespace>` in an iframe), speak its postMessage
//   protocol: tell the parent the frame is ready and how tall it is, and when a booking was made.
const url = new URL(window.location.href);
const root = document.querySelector("[data-booker]");
if (root) {
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

if (url.searchParams.has("embed") && window.parent !== window) {
  const namespace = url.searchParams.get("embed") || "";
  const send = (type, data) => window.parent.postMessage(
    { fullType: `CAL:${namespace}:${type}`, type, namespace, data }, "*");
  const size = () => send("__dimensionChanged", {
    iframeHeight: document.documentElement.scrollHeight,
    iframeWidth: document.documentElement.scrollWidth,
  });
  send("__iframeReady", {});
  size();
  new ResizeObserver(size).observe(document.body);
  const problem = document.querySelector("[data-link-failed]");
  if (problem) {
    send("linkFailed", { code: problem.dataset.linkFailed, msg: problem.textContent, data: { url: url.toString() } });
  } else {
    send("linkReady", {});
  }
  const booked = document.querySelector("[data-booking-uid]");
  if (booked && url.searchParams.has("booked")) {
    const data = {
      uid: booked.dataset.bookingUid,
      status: booked.dataset.status,
      title: booked.dataset.title,
      startTime: booked.dataset.start,
      endTime: booked.dataset.end,
    };
    send("bookingSuccessful", { booking: data, confirmed: data.status === "accepted" });
    send("bookingSuccessfulV2", data);
  }
}
