import JsBarcode from 'jsbarcode';
import { useEffect, useRef, useState } from 'react';
import { ApiError, request } from './api';
import { japaneseDate, jstClock } from './card';
import { graphql } from './gql';
import { c, t } from './messages';

export const CardQuery = graphql(`
  query PapaMamaCardPage {
    papaMamaCard {
      registered eligible hiddenReason imageUrl barcodeValue barcodeImageUrl notice
      holderName relation eligibleUntil expectedDate grandparent serverTime
      children { name birthDate eligibleUntil eligible }
    }
  }
`);

type Card = Awaited<ReturnType<typeof load>>['papaMamaCard'];
const load = () => request(CardQuery);

function Barcode({ value }: { value: string }) {
  const ref = useRef<SVGSVGElement>(null);
  useEffect(() => {
    if (ref.current) JsBarcode(ref.current, value, { format: 'CODE128', displayValue: true, margin: 8, height: 70, fontSize: 18 });
  }, [value]);
  return <svg ref={ref} role="img" aria-label={`${c.barcodeLabel} ${value}`} data-testid="barcode" />;
}

/** A ticking JST clock from the server's time, so a screenshot is not the live card. */
function LiveClock({ serverTime }: { serverTime: string }) {
  const offset = useRef(new Date(serverTime).getTime() - Date.now());
  const [now, setNow] = useState(() => new Date(Date.now() + offset.current));
  useEffect(() => {
    const id = window.setInterval(() => setNow(new Date(Date.now() + offset.current)), 1000);
    return () => window.clearInterval(id);
  }, []);
  return (
    <p className="live" aria-live="off">
      <span className="live-dot" aria-hidden="true" />
      <span className="live-label">{c.now}</span> <time data-testid="live-clock">{jstClock(now)}</time>
      <span className="sr-only">{c.liveHint}</span>
    </p>
  );
}

/** The Papa-Mama card, shown at the register: everything registered is on it, no extra taps. */
export function CardPage() {
  const [card, setCard] = useState<Card | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    load()
      .then((d) => setCard(d.papaMamaCard))
      .catch((e) => setError(e instanceof ApiError && e.code === 'UNAUTHENTICATED' ? t.authError : t.error));
  }, []);
  if (!card)
    return (
      <main className="page">
        <h1>{c.cardTitle}</h1>
        {error ? <p role="alert" className="error">{error}</p> : <p role="status">{t.loading}</p>}
      </main>
    );
  if (!card.registered)
    return (
      <main className="page">
        <h1>{c.cardTitle}</h1>
        <p>{c.cardRegisterLead}</p>
        <a className="button primary" href="/liff/card/edit">
          {c.register}
        </a>
      </main>
    );
  return (
    <main className="page card-page">
      <h1>{c.cardTitle}</h1>
      {card.eligible ? (
        <section className="card" aria-label={c.cardTitle}>
          {card.imageUrl && <img className="card-image" src={card.imageUrl} alt={c.cardTitle} />}
          <LiveClock serverTime={card.serverTime} />
          {card.barcodeImageUrl ? (
            <img className="barcode" src={card.barcodeImageUrl} alt={c.barcodeLabel} />
          ) : (
            card.barcodeValue && <Barcode value={card.barcodeValue} />
          )}
        </section>
      ) : (
        <p role="alert" className="error" data-testid="hidden-reason">
          {card.hiddenReason}
        </p>
      )}
      <dl className="holder">
        <dt>{c.holder}</dt>
        <dd data-testid="holder-name">
          {card.holderName}（{c.relation}：{card.relation}）
        </dd>
        {card.children.length > 0 && <dt>{c.children}</dt>}
        {card.children.map((ch) => (
          <dd key={`${ch.name}-${ch.birthDate}`} className={ch.eligible ? undefined : 'lapsed'}>
            {ch.name}{'\u3000'}{c.birthDate} {japaneseDate(ch.birthDate)}
            <span className="until">（{japaneseDate(ch.eligibleUntil)}{ch.eligible ? c.until : c.ended}）</span>
          </dd>
        ))}
        {card.expectedDate && (
          <>
            <dt>{c.expected}</dt>
            <dd>{japaneseDate(card.expectedDate)}</dd>
          </>
        )}
        {card.grandparent && <dd>{c.grandparent}</dd>}
      </dl>
      {card.eligible && card.notice && <p className="notice">{card.notice}</p>}
      <p>
        <a href="/liff/card/edit">{c.edit}</a>
      </p>
    </main>
  );
}
