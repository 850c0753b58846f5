#!/usr/bin/env node
// Email throughput peer: "the Cal.com way".
//
// Cal.com's BaseEmail.sendEmail() does `nodemailer.createTransport(transportOptions).sendMail(payload)`
// for every email: a new SMTP transport (and so a new TCP connection, EHLO, MAIL/RCPT/DATA, QUIT)
// per message, no pooling. This script does the same against an SMTP server (smtp-sink in
// bench/email.sh), with C emails in flight at once, each on its own new transport, closed after
// its send. The message is the booking email of bench/fixtures: HTML + text alternatives, the
// invite as an inline `icalEvent` (METHOD:REQUEST) and again as an invite.ics attachment.
// (Cal.com also renders its React email templates per email; that CPU cost is NOT included here:
// the bodies are static fixtures, so this peer is, if anything, generous to Cal.com.)
//
//   node send.js --host 127.0.0.1 --port 2525 --count 1000 --concurrency 8
//   node send.js --print-message            # the raw MIME message, to stdout (nothing is sent)
//   node send.js ... --nodelay              # diagnostic only: TCP_NODELAY on every socket
//
// Note: nodemailer leaves Nagle's algorithm on (Node's default). Against a server that delays its
// ACKs (Linux does, up to 40 ms, smtp-sink included) each email then stalls ~40 ms on the small
// final write of DATA, which is most of the per-connection time at concurrency 1 on loopback
// (~22/s; ~240/s with --nodelay). bench/email.sh measures the default, as Cal.com runs it.
//
// Prints one JSON line:
//   {"peer":"nodemailer","concurrency":C,"count":N,"seconds":S,"emails_per_sec":R,"failed":F}
'use strict';

const fs = require('fs');
const path = require('path');
const nodemailer = require('nodemailer');

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: 25, count: 100, concurrency: 1, printMessage: false, nodelay: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--host': opts.host = next(); break;
      case '--port': opts.port = Number(next()); break;
      case '--count': opts.count = Number(next()); break;
      case '--concurrency': opts.concurrency = Number(next()); break;
      case '--print-message': opts.printMessage = true; break;
      case '--nodelay': opts.nodelay = true; break;
      case '-h': case '--help':
        process.stdout.write('usage: send.js --host H --port P --count N --concurrency C [--nodelay] | --print-message\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  for (const k of ['port', 'count', 'concurrency']) {
    if (!Number.isInteger(opts[k]) || opts[k] < 1) throw new Error(`--${k} must be a positive integer`);
  }
  return opts;
}

const fixtures = path.join(__dirname, '..', '..', 'fixtures');
const html = fs.readFileSync(path.join(fixtures, 'email.html'), 'utf8');
const text = fs.readFileSync(path.join(fixtures, 'email.txt'), 'utf8');
const ics = fs.readFileSync(path.join(fixtures, 'invite.ics'), 'utf8');

function message(n) {
  return {
    from: '"Convene" <notifications@convene.example.com>',
    to: `"Attendee ${n}" <attendee+${n}@example.com>`,
    replyTo: '"Ada Lovelace" <ada@convene.example.com>',
    subject: 'New event: 30 min meeting between Ada and Bob',
    text,
    html,
    icalEvent: { method: 'REQUEST', content: ics },
    attachments: [{ filename: 'invite.ics', content: ics, contentType: 'text/calendar; method=REQUEST' }],
  };
}

async function printMessage() {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await t.sendMail(message(0));
  process.stdout.write(info.message);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.printMessage) return printMessage();
  if (opts.nodelay) {
    const net = require('net');
    const connect = net.Socket.prototype.connect;
    net.Socket.prototype.connect = function (...args) {
      this.setNoDelay(true);
      return connect.apply(this, args);
    };
  }

  let next = 0;
  let failed = 0;
  let firstError = null;

  async function sendOne(n) {
    // A new transport per email, as Cal.com does; closed once the email is sent.
    const transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: 30000,
      greetingTimeout: 30000,
      socketTimeout: 60000,
    });
    try {
      await transport.sendMail(message(n));
    } catch (err) {
      failed++;
      if (!firstError) firstError = err;
    } finally {
      transport.close();
    }
  }

  async function lane() {
    while (next < opts.count) {
      const n = next++;
      await sendOne(n);
    }
  }

  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.count) }, lane));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  if (firstError) process.stderr.write(`nodemailer: ${failed} failed; first error: ${firstError.message}\n`);
  const sent = opts.count - failed;
  process.stdout.write(JSON.stringify({
    peer: 'nodemailer',
    concurrency: opts.concurrency,
    count: opts.count,
    seconds: Number(seconds.toFixed(3)),
    emails_per_sec: Number((sent / seconds).toFixed(1)),
    failed,
    ...(opts.nodelay ? { nodelay: true } : {}),
  }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`send.js: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
