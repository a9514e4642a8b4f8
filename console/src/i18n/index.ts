// i18next with the shared Japanese texts; the console's assembly
// (`catalogue.ts`) adds every feature's own.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { ja } from './ja';

void i18n.use(initReactI18next).init({
  lng: 'ja',
  fallbackLng: 'ja',
  resources: { ja: { translation: ja } },
  interpolation: { escapeValue: false },
});

/** Adds feature catalogues (each a set of top-level sections) to the Japanese texts. */
export function addTexts(...catalogues: readonly Record<string, unknown>[]) {
  for (const c of catalogues) i18n.addResourceBundle('ja', 'translation', c, true, true);
}

export default i18n;
