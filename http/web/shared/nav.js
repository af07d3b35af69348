// The strip of links between coinop's pages: shows the machines page only
// when the server runs the demo (GET /api/v2/config says so).
'use strict';

(async () => {
  const links = document.querySelectorAll('.site-nav [data-demo-only]');
  if (!links.length) return;
  try {
    const res = await fetch('/api/v2/config', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const cfg = res.ok ? await res.json() : null;
    if (cfg && cfg.demo) for (const a of links) a.hidden = false;
  } catch { /* no bank on this server: the links stay hidden */ }
})();
