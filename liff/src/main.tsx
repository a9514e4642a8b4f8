import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { CardEditPage } from './CardEditPage';
import { CardPage } from './CardPage';
import { PassPage } from './PassPage';
import { SettingsPage } from './SettingsPage';
import { SurveyPage } from './SurveyPage';
import { WithdrawPage } from './WithdrawPage';

// A handful of pages, each its own LIFF URL: no router needed.
function page(path: string) {
  const p = path.replace(/\/+$/, '');
  if (p.endsWith('/withdraw')) return <WithdrawPage />;
  if (p.endsWith('/survey')) return <SurveyPage />;
  if (p.endsWith('/pass')) return <PassPage />;
  if (p.endsWith('/card/edit')) return <CardEditPage />;
  if (p.endsWith('/card')) return <CardPage />;
  return <SettingsPage />;
}

createRoot(document.getElementById('root')!).render(<StrictMode>{page(window.location.pathname)}</StrictMode>);
