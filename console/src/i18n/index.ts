import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { ja } from './ja';

void i18n.use(initReactI18next).init({
  lng: 'ja',
  fallbackLng: 'ja',
  resources: { ja: { translation: ja } },
  interpolation: { escapeValue: false },
});

export default i18n;
