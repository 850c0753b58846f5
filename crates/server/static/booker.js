// Progressive enhancement for the booking pages: every flow works without this file.
// - Without a `tz` in the address, the booker first shows the host's zone; switch to the browser's own zone.
// - Changing the time zone or clock applies at once (no Apply button needed), and month, day and duration links
//   update the booker in place instead of loading a new page.
// - Inside Cal.com's embed (the page was loaded with `?embed=<namespace>` in an iframe), speak its postMessage
//   protocol: tell the parent the frame is ready and how tall it is, and when a booking was made.
const url = new URL(window.location.href);

// The booker's month, day and preference links fetch the next page and swap it in: no full reload, the history
// and the address stay as the plain links would leave them, and focus lands where the person was going.
// Only the newest request is shown: a quicker answer to an older click never replaces a newer one.
let latest = 0;
async function swap(main, target, how) {
  const mine = ++latest;
  main.setAttribute("aria-busy", "true");
  let response;
  let text;
  try {
    response = await fetch(target, { credentials: "same-origin", headers: { Accept: "text/html" } });
    text = await response.text();
  } catch {
    if (mine === latest) window.location.assign(target);
    return;
  }
  if (mine !== latest) return;
  main.removeAttribute("aria-busy");
  const doc = new DOMParser().parseFromString(text, "text/html");
  const fresh = doc.querySelector("[data-booker]");
  if (!response.ok || !fresh) {
    window.location.assign(target);
    return;
  }
  main.replaceChildren(...fresh.childNodes);
  document.title = doc.title;
  document.documentElement.lang = doc.documentElement.lang;
  if (how.history === "push") history.pushState({ booker: true }, "", target);
  if (how.history === "replace") history.replaceState({ booker: true }, "", target);
  enhance(main);
  const focus = how.focus && main.querySelector(how.focus);
  if (focus) {
    if (!focus.matches("a, button, select, input")) focus.tabIndex = -1;
    focus.focus();
  }
}

// Which element should have focus after following `link`: the chosen day's times, or the same control again.
function focusAfter(link) {
  if (link.dataset.day) return "#day-label";
  return link.id ? `#${link.id}` : "#month-label";
}

function enhance(main) {
  for (const control of main.querySelectorAll("form.prefs select")) {
    control.addEventListener("change", () => {
      const query = new URLSearchParams(new FormData(control.form));
      const target = new URL(window.location.pathname, window.location.origin);
      target.search = query.toString();
      swap(main, target.toString(), { history: "replace", focus: `#${control.id}` });
    });
  }
  for (const button of main.querySelectorAll("form.prefs button")) {
    button.hidden = true;
  }
}

const root = document.querySelector("[data-booker]");
if (root) {
  root.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey
        || event.altKey) return;
    const target = new URL(link.href, window.location.href);
    // Only the booker's own month, day and duration links; language links and others load normally.
    if (target.origin !== window.location.origin || target.pathname !== window.location.pathname
        || link.closest(".langs")) return;
    event.preventDefault();
    swap(root, target.toString(), { history: "push", focus: focusAfter(link) });
  });
  window.addEventListener("popstate", () => swap(root, window.location.href, { history: "none" }));
  enhance(root);
  // Without a `tz` in the address the booker first shows the host's zone: switch to the browser's own.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const select = root.querySelector("select[name=tz]");
  if (!url.searchParams.has("tz") && zone && select && select.value !== zone
      && [...select.options].some((o) => o.value === zone)) {
    url.searchParams.set("tz", zone);
    swap(root, url.toString(), { history: "replace" });
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
