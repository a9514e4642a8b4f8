// The console's whole Japanese catalogue (assembly): the shared texts and
// every feature's own, one line each.
import i18n, { addTexts } from './i18n';
import { ja as audience } from './audience/ja';
import { ja as audit } from './audit/ja';
import { ja as auth } from './auth/ja';
import { ja as card } from './card/ja';
import { ja as chatbot } from './chatbot/ja';
import { ja as dashboard } from './dashboard/ja';
import { ja as delivery } from './delivery/ja';
import { ja as friends } from './friends/ja';
import { ja as mailin } from './mailin/ja';
import { ja as richmenu } from './richmenu/ja';
import { ja as serviceAccounts } from './service-accounts/ja';
import { ja as staff } from './staff/ja';
import { ja as survey } from './survey/ja';
import { ja as teams } from './teams/ja';

addTexts(audience, audit, auth, card, chatbot, dashboard, delivery, friends, mailin, richmenu, serviceAccounts, staff, survey, teams);

export default i18n;
