// A tracked link's QR code, for flyers, packaging inserts, a booth or a video: the code itself (an SVG the page
// loads, so a long press saves it on a phone), what it opens, a download, and how to print it so it scans.
import type { FC } from 'hono/jsx';
import type { CreatorLink } from '../../worker/db/creator-portal';
import { linkTarget } from '../format';
import { Notice, Page } from '../layout';
import { campaignPhase, creatorNav } from './pages';

export const QrPage: FC<{ who: string; link: CreatorLink; label: string; readable: string }> = ({ who, link, label, readable }) => {
  const base = `/links/${link.slug}/qr`;
  const { waiting } = campaignPhase(link);
  return (
    <Page title={`QR code for ${readable}`} nav={creatorNav('home')} who={who}>
      <p class="small back">
        <a href="/">← Home</a>
      </p>
      <section class="card qr-card" aria-labelledby="qr-h">
        <p class="eyebrow">
          {link.brand_name} · {link.campaign_name}
        </p>
        <h1 id="qr-h">Your QR code</h1>
        <p class="muted">Scanning it opens your tracked link to {linkTarget(link.destination)}: every visit and sale through it counts for you, as through the link itself.</p>
        {link.archived_at !== null ? (
          <Notice tone="info">
            <form method="post" action={`/links/${link.slug}/restore`} class="undo">
              <p>You archived this link: it is folded away under Archived links on your home page, but it still works and every scan still counts for you.</p>
              <button type="submit" class="button button-small">
                Restore it
              </button>
            </form>
          </Notice>
        ) : null}
        {link.link_status !== 'active' ? (
          <Notice tone="warn" title="This link is paused">
            <p>{link.brand_name} paused it: for now a scan leads to their site without counting for you. The code stays the same, so what you print now works again once they resume it.</p>
          </Notice>
        ) : waiting ? (
          <Notice tone="info">{waiting} You can print the code already: it stays the same.</Notice>
        ) : null}
        <figure class="qr">
          {/* The quiet zone (the white border) is part of the image: a scanner needs it. */}
          <img src={`${base}.svg`} alt={label} width={296} height={296} />
          <figcaption>
            <span class="visually-hidden">Opens </span>
            <code class="qr-url">{readable}</code>
          </figcaption>
        </figure>
        <div class="card-actions qr-actions">
          <a class="button button-primary" href={`${base}.svg?download=1`} download={`${link.slug}-qr.svg`}>
            Download QR code (SVG)
          </a>
        </div>
        <p class="muted small">An SVG stays sharp at any size: a sticker, a flyer or a poster. Print shops and design apps (Canva, Figma, Illustrator) take it as it is.</p>
        <h2>So it scans every time</h2>
        <ul class="checklist">
          <li>Print it at least 2.5 cm (1 inch) wide, bigger on a poster people see from afar.</li>
          <li>Keep the white border around it, and keep it dark on light: no recolouring, stretching or cropping.</li>
          <li>In a video, hold it on screen for a few seconds, large and in focus.</li>
          <li>Scan it with your own phone's camera before you print a batch.</li>
        </ul>
      </section>
    </Page>
  );
};
