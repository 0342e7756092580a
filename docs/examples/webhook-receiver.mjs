// A Hekim webhook receiver (docs/notifications.md, "Webhooks for integrators").
//
//   npm install standardwebhooks
//   HEKIM_WEBHOOK_SECRET=whsec_... node webhook-receiver.mjs     # listens on :8080
//
// It verifies every request's signature over the raw body before trusting it, drops
// repeats by `webhook-id` (deliveries are at least once), and answers 2xx quickly; anything
// else makes Hekim try again later.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.HEKIM_WEBHOOK_SECRET);
// Use your database in production: the ids must outlive a restart.
const seen = new Set();

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let event;
    try {
      // Checks the HMAC-SHA256 signature and that webhook-timestamp is within 5 minutes.
      event = webhook.verify(body, {
        'webhook-id': req.headers['webhook-id'],
        'webhook-timestamp': req.headers['webhook-timestamp'],
        'webhook-signature': req.headers['webhook-signature'],
      });
    } catch {
      res.writeHead(401).end();
      return;
    }
    const id = req.headers['webhook-id'];
    if (!seen.has(id)) {
      seen.add(id);
      // event = { type: 'session.ended', timestamp: '…', data: { sessionId, roomId, … } }
      console.log(id, event.type, JSON.stringify(event.data));
    }
    res.writeHead(204).end();
  });
}).listen(8080);
