#!/usr/bin/env node
// Fallback peer: "the Cal.com way" of sending an organization's booking emails through the organization's own
// SMTP server with the platform's server as fallback, when the organization's server is a black hole (accepts
// the TCP connection, never sends the "220" greeting; bench/blackhole.py). Used by bench/fallback.sh.
//
// Cal.com builds a NEW nodemailer transport for every email (BaseEmail.sendEmail():
// `nodemailer.createTransport(transport).sendMail(payload)`), with the options of packages/lib/serverConfig.ts:
// `{ host, port, auth, secure: port === 465, tls: { rejectUnauthorized } }` — no timeouts, so nodemailer's own
// defaults apply. Cal.com has no per-organization SMTP; the "Cal.com way" is that same pattern applied
// twice: per email, a new transport to the organization's server, and on any error a new transport to the
// platform default, sending there as the platform with the organization's address as Reply-To.
//
// Timeouts: none set here, on purpose: nodemailer 6.10.1's defaults, lib/smtp-connection/index.js lines 14-17:
//   CONNECTION_TIMEOUT = 2 * 60 * 1000   // TCP connect (never fires here: the black hole accepts at once)
//   SOCKET_TIMEOUT     = 10 * 60 * 1000  // inactivity
//   GREETING_TIMEOUT   = 30 * 1000       // connected, waiting for "220": this is what fires, after 30 s
//   DNS_TIMEOUT        = 30 * 1000
// (The doc comment below them says greetingTimeout "defaults to 10000" and socketTimeout "1 hour"; the code
// uses the constants: 30 s and 10 min.)
//
//   node fallback.js --org-host 127.0.0.1 --org-port 2526 --default-host 127.0.0.1 --default-port 2525 \
//       --count 20 --concurrency 1        # "one after another"
//   node fallback.js ... --count 100 --concurrency 100   # 100 simultaneous bookings
//
// Prints one JSON line (times in seconds from just before the first email starts; node's own start-up, ~0.05 s,
// is not included):
//   {"peer":"nodemailer-fallback","mode":"sequential"|"concurrent","concurrency":C,"count":N,
//    "first_s":…,  // the first email accepted by the default (or by the org server, if it ever answered)
//    "all_s":…,    // the last one
//    "sent":…, "sent_via_org":…, "sent_via_default":…, "failed":…,   // failed = neither route took it
//    "org_failures":…, "org_error":"…", "org_fail_s":{"min":…,"median":…,"max":…}}  // per-email time lost
'use strict';

const fs = require('fs');
const path = require('path');
const nodemailer = require('nodemailer');

function parseArgs(argv) {
  const opts = {
    orgHost: '127.0.0.1', orgPort: 0, defaultHost: '127.0.0.1', defaultPort: 0, count: 20, concurrency: 1,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--org-host': opts.orgHost = next(); break;
      case '--org-port': opts.orgPort = Number(next()); break;
      case '--default-host': opts.defaultHost = next(); break;
      case '--default-port': opts.defaultPort = Number(next()); break;
      case '--count': opts.count = Number(next()); break;
      case '--concurrency': opts.concurrency = Number(next()); break;
      case '-h': case '--help':
        process.stdout.write('usage: fallback.js --org-host H --org-port P --default-host H --default-port P'
          + ' --count N --concurrency C\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  for (const k of ['orgPort', 'defaultPort', 'count', 'concurrency']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`${k} must be a positive integer`);
  }
  return opts;
}

// The booking email of bench/fixtures, as in send.js.
const fixtures = path.join(__dirname, '..', '..', 'fixtures');
const html = fs.readFileSync(path.join(fixtures, 'email.html'), 'utf8');
const text = fs.readFileSync(path.join(fixtures, 'email.txt'), 'utf8');
const ics = fs.readFileSync(path.join(fixtures, 'invite.ics'), 'utf8');
const ORG = { name: 'Acme', address: 'bookings@acme.example' };
const PLATFORM = { name: 'Convene', address: 'notifications@convene.example.com' };

function message(n, from, replyTo) {
  return {
    from,
    to: `"Attendee ${n}" <attendee+${n}@example.com>`,
    replyTo,
    subject: 'New event: 30 min meeting between Ada and Bob',
    text,
    html,
    icalEvent: { method: 'REQUEST', content: ics },
    attachments: [{ filename: 'invite.ics', content: ics, contentType: 'text/calendar; method=REQUEST' }],
  };
}

// serverConfig.ts's options for a host and port (no auth: neither server here asks for it).
function calcomTransport(host, port) {
  return nodemailer.createTransport({ host, port, secure: port === 465, tls: { rejectUnauthorized: true } });
}

async function sendVia(host, port, mail) {
  const transport = calcomTransport(host, port);
  try {
    return await transport.sendMail(mail);
  } finally {
    transport.close();
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const start = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - start) / 1e9;
  const acceptedAt = [];
  const orgFailS = [];
  const orgErrors = new Map();
  let viaOrg = 0;
  let viaDefault = 0;
  let failed = 0;
  let firstFinalError = null;

  async function sendOne(n) {
    const t = since();
    try {
      await sendVia(opts.orgHost, opts.orgPort, message(n, ORG, undefined));
      viaOrg++;
      acceptedAt.push(since());
      return;
    } catch (err) {
      orgFailS.push(since() - t);
      const key = `${err.code || 'ERROR'}: ${err.message}`;
      orgErrors.set(key, (orgErrors.get(key) || 0) + 1);
    }
    try {
      await sendVia(opts.defaultHost, opts.defaultPort, message(n, PLATFORM, ORG));
      viaDefault++;
      acceptedAt.push(since());
    } catch (err) {
      failed++;
      if (!firstFinalError) firstFinalError = err;
    }
  }

  let next = 0;
  async function lane() {
    while (next < opts.count) {
      const n = next++;
      await sendOne(n);
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, lane));

  if (firstFinalError) {
    process.stderr.write(`fallback.js: ${failed} lost on both routes; first error: ${firstFinalError.message}\n`);
  }
  const r3 = (x) => (x === undefined ? null : Number(x.toFixed(3)));
  acceptedAt.sort((a, b) => a - b);
  orgFailS.sort((a, b) => a - b);
  const errors = [...orgErrors.entries()].sort((a, b) => b[1] - a[1]);
  process.stdout.write(JSON.stringify({
    peer: 'nodemailer-fallback',
    mode: opts.concurrency === 1 ? 'sequential' : 'concurrent',
    concurrency: opts.concurrency,
    count: opts.count,
    first_s: r3(acceptedAt[0]),
    all_s: acceptedAt.length === opts.count ? r3(acceptedAt[acceptedAt.length - 1]) : null,
    sent: acceptedAt.length,
    sent_via_org: viaOrg,
    sent_via_default: viaDefault,
    failed,
    org_failures: orgFailS.length,
    org_error: errors.length ? errors[0][0] : null,
    org_error_kinds: errors.length,
    org_fail_s: orgFailS.length ? {
      min: r3(orgFailS[0]),
      median: r3(orgFailS[Math.floor(orgFailS.length / 2)]),
      max: r3(orgFailS[orgFailS.length - 1]),
    } : null,
  }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`fallback.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
