import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import QRCode from 'qrcode';
import { request } from '../api/client';
import { errorMessage } from '../api/errors';
import { Alert } from '../ui/Alert';
import { Field } from '../ui/Field';
import { BeginTotpEnrolmentMutation, ConfirmTotpEnrolmentMutation, LoginMutation, VerifyTotpMutation } from './queries';
import { useViewer, VIEWER_KEY } from './useViewer';

type Step = 'password' | 'totp' | 'enrol';

export function SignInPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const viewer = useViewer();
  const [step, setStep] = useState<Step>('password');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const expired = params.get('expired') === '1';
  const next = safeNext(params.get('next'));

  // A session waiting for its second factor (page reloaded) resumes at that step.
  const stage = viewer.data?.viewer?.stage;
  useEffect(() => {
    if (stage === 'TOTP_REQUIRED') setStep('totp');
    else if (stage === 'TOTP_ENROLMENT_REQUIRED') setStep('enrol');
    else if (stage === 'SIGNED_IN') navigate(next, { replace: true });
  }, [stage, navigate, next]);

  async function done() {
    await queryClient.invalidateQueries({ queryKey: VIEWER_KEY });
    navigate(next, { replace: true });
  }

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="signin">
      <h1>{t('app.title')}</h1>
      {expired && step === 'password' && <Alert kind="info">{t('errors.sessionExpired')}</Alert>}
      {error && <Alert kind="error">{error}</Alert>}
      {step === 'password' && (
        <PasswordStep
          busy={busy}
          onSubmit={(loginId, password) =>
            run(async () => {
              const r = await request(LoginMutation, { input: { loginId, password } });
              if (r.login.stage === 'SIGNED_IN') await done();
              else setStep(r.login.stage === 'TOTP_REQUIRED' ? 'totp' : 'enrol');
            })
          }
        />
      )}
      {step === 'totp' && (
        <CodeStep
          title={t('signin.totpTitle')}
          help={t('signin.totpHelp')}
          busy={busy}
          onSubmit={(code) =>
            run(async () => {
              await request(VerifyTotpMutation, { code });
              await done();
            })
          }
        />
      )}
      {step === 'enrol' && <EnrolStep busy={busy} run={run} onDone={done} />}
    </main>
  );
}

/** Only paths inside the console: never an open redirect. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function PasswordStep({ busy, onSubmit }: { busy: boolean; onSubmit: (loginId: string, password: string) => void }) {
  const { t } = useTranslation();
  const [loginId, setLoginId] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(loginId, password);
  };
  return (
    <form onSubmit={submit} aria-labelledby="signin-title">
      <h2 id="signin-title">{t('signin.title')}</h2>
      <Field label={t('signin.loginId')} name="loginId" autoComplete="username" required value={loginId} onChange={(e) => setLoginId(e.target.value)} />
      <Field label={t('signin.password')} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" className="primary" disabled={busy}>
        {t('signin.submit')}
      </button>
    </form>
  );
}

function CodeStep({ title, help, busy, onSubmit }: { title: string; help: string; busy: boolean; onSubmit: (code: string) => void }) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(code.trim());
      }}
    >
      <h2>{title}</h2>
      <p>{help}</p>
      <Field label={t('signin.code')} name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required value={code} onChange={(e) => setCode(e.target.value)} />
      <button type="submit" className="primary" disabled={busy}>
        {t('signin.verify')}
      </button>
    </form>
  );
}

function EnrolStep({ busy, run, onDone }: { busy: boolean; run: (a: () => Promise<void>) => Promise<void>; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const [secret, setSecret] = useState<string | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  useEffect(() => {
    void run(async () => {
      const r = await request(BeginTotpEnrolmentMutation);
      setSecret(r.beginTotpEnrolment.secret);
      setQr(await QRCode.toDataURL(r.beginTotpEnrolment.otpauthUri, { margin: 1, width: 220 }));
    });
    // Once per visit to this step.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <section>
      <h2>{t('signin.enrolTitle')}</h2>
      <p>{t('signin.enrolHelp')}</p>
      {qr && <img src={qr} alt={t('signin.qrAlt')} width={220} height={220} />}
      {secret && (
        <p>
          {t('signin.enrolSecret')}：<code data-testid="totp-secret">{secret}</code>
        </p>
      )}
      <CodeStep
        title={t('signin.totpTitle')}
        help={t('signin.totpHelp')}
        busy={busy}
        onSubmit={(code) =>
          run(async () => {
            await request(ConfirmTotpEnrolmentMutation, { code });
            await onDone();
          })
        }
      />
    </section>
  );
}
