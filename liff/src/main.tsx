import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { SettingsPage } from './SettingsPage';
import { WithdrawPage } from './WithdrawPage';

// Two pages: no router needed.
const page = window.location.pathname.replace(/\/+$/, '').endsWith('/withdraw') ? <WithdrawPage /> : <SettingsPage />;

createRoot(document.getElementById('root')!).render(<StrictMode>{page}</StrictMode>);
