// The brand's team: who can open this console and with which role. Owners add people (an invitation is
// mailed to them, never shown here), change roles, send a new link and remove; everyone else reads the list.
import type { FC } from 'hono/jsx';
import { formatDate } from '../format';
import type { Child } from 'hono/jsx';
import { Badge, NewPasswordForm, Notice, type FormError } from '../layout';
import { ConfirmStep, ConsolePage, DataTable, Errors, FlashNotice, ROLE_LABELS, RowAction, type Flash, type Viewer } from './layout';
import { ProveIt } from '../two-step';

export type Role = Viewer['role'];
export type Member = { id: string; email: string; name: string; role: Role; created_at: number; has_password: number; two_step: number; invite_expires_at: number | null };
export type MemberValues = { email: string; name: string; role: string };

export const ROLE_SCOPES: Record<Role, string> = {
  owner: 'Everything, including brand settings and this team.',
  manager: 'Campaigns, imports, reviews, payouts and webhook replays; not settings or the team.',
  finance: 'Reads every page, and does the payouts: closes a month, reconciles and marks payouts, downloads the orders and payouts files. Changes nothing else.',
  viewer: 'Reads every page; changes nothing and downloads no CSV.',
};

const ROLES: Role[] = ['owner', 'manager', 'finance', 'viewer'];

// Settings' heading and its tabs (brand, team, keys and stores, webhooks, activity), with the page's flash and errors under them.
export const SettingsHead: FC<{ brandName: string; current: 'brand' | 'team' | 'keys' | 'webhooks' | 'activity'; flash: Flash; errors?: readonly FormError[]; errorsTitle?: string }> = ({ brandName, current, flash, errors, errorsTitle }) => (
  <>
    <div class="page-head">
      <div>
        <p class="eyebrow">{brandName}</p>
        <h1 class="page-title">Settings</h1>
      </div>
    </div>
    <nav aria-label="Settings" class="tabs settings-tabs">
      <a href="/console/settings" aria-current={current === 'brand' ? 'page' : undefined}>
        Brand
      </a>
      <a href="/console/team" aria-current={current === 'team' ? 'page' : undefined}>
        Team
      </a>
      <a href="/console/keys" aria-current={current === 'keys' ? 'page' : undefined}>
        Keys and stores
      </a>
      <a href="/console/webhooks" aria-current={current === 'webhooks' ? 'page' : undefined}>
        Webhooks
      </a>
      <a href="/console/activity" aria-current={current === 'activity' ? 'page' : undefined}>
        Activity
      </a>
    </nav>
    <FlashNotice flash={flash} />
    <Errors errors={errors} title={errorsTitle} />
  </>
);

const MemberStatus: FC<{ m: Member; now: number; timezone: string }> = ({ m, now, timezone }) =>
  m.has_password ? (
    <Badge status="approved" label="Active" />
  ) : m.invite_expires_at !== null && m.invite_expires_at > now ? (
    <>
      <Badge status="pending" label="Invited" />
      <span class="muted small block">link works until {formatDate(m.invite_expires_at, timezone)}</span>
    </>
  ) : (
    <>
      <Badge status="disabled" label="Invitation lapsed" />
      <span class="muted small block">send a new link</span>
    </>
  );

const RoleSelect: FC<{ id: string; value: string; label: string; describedBy?: string }> = ({ id, value, label, describedBy }) => (
  <>
    <label for={id} class={describedBy ? undefined : 'visually-hidden'}>
      {label}
    </label>
    <select id={id} name="role" aria-describedby={describedBy}>
      {ROLES.map((r) => (
        <option value={r} selected={r === value}>
          {ROLE_LABELS[r]}
        </option>
      ))}
    </select>
  </>
);

// An owner's change that weakens someone's sign-in, asked again with the owner's own password (and a code when
// they have two-step on), so a session left open is not enough to make it.
const ConfirmWithProof: FC<{ title: string; action: string; submit: string; cancel: string; email: string; withCode: boolean; children?: Child }> = ({ title, action, submit, cancel, email, withCode, children }) => (
  <div class="stack confirm-block">
    <Notice tone="warn" title={title}>
      <p>{children}</p>
    </Notice>
    <form method="post" action={action} class="stack compact-form">
      <input type="hidden" name="confirm" value="1" />
      <ProveIt prefix="confirm" email={email} {...(withCode ? { codeLabel: 'Code from your app, or a recovery code', codeHint: 'Yours: 6 digits from your app, or one of your recovery codes.' } : {})} />
      <div class="form-actions">
        <button type="submit" class="button button-danger">
          {submit}
        </button>
        <a class="button button-quiet" href="/console/team">
          {cancel}
        </a>
      </div>
    </form>
  </div>
);

export const TeamPage: FC<{
  viewer: Viewer;
  selfId: string;
  isOwner: boolean;
  members: Member[];
  values: MemberValues;
  flash: Flash;
  errors?: string[];
  confirmRemove?: Member | null;
  confirmReset?: Member | null;
  // Turning the policy off was asked for: asked again, with the owner's password and code.
  confirmPolicyOff?: boolean;
  // The brand requires two-step sign-in of everyone (an owner's choice below).
  twoStepRequired?: boolean;
  toReview: number;
  now: number;
  // What the person typed for their own name, when it was refused.
  selfName?: string;
  /** Whether the viewer gets the drafts-to-review mail; null for roles that do not review. */
  reviewDigest?: boolean | null;
  weeklyReport?: boolean;
  messageMail?: boolean;
}> = ({ viewer, selfId, isOwner, members, values, flash, errors, confirmRemove, confirmReset, confirmPolicyOff = false, twoStepRequired = false, toReview, now, selfName, reviewDigest = null, weeklyReport = true, messageMail = true }) => {
  const selfTwoStep = members.some((m) => m.id === selfId && m.two_step);
  const withoutTwoStep = members.filter((m) => m.has_password && !m.two_step).length;
  return (
  <ConsolePage title="Team" viewer={viewer} section="settings" toReview={toReview}>
    <SettingsHead brandName={viewer.brandName} current="team" flash={flash} errors={errors} />
    {isOwner && confirmRemove ? (
      <ConfirmStep title={`Remove ${confirmRemove.name} from the team?`} action={`/console/team/${confirmRemove.id}/remove`} submit={`Remove ${confirmRemove.name}`} cancelHref="/console/team" cancel="Keep them">
        {confirmRemove.email} can no longer open {viewer.brandName}'s console, and is signed out of it at once. What they did stays in the history. You can add them again later.
      </ConfirmStep>
    ) : null}
    {isOwner && confirmReset ? (
      <ConfirmWithProof title={`Reset ${confirmReset.name}'s two-step sign-in?`} action={`/console/team/${confirmReset.id}/two-step/reset`} submit="Reset two-step sign-in" cancel="Keep it" email={viewer.email} withCode={selfTwoStep}>
        For a lost phone: their authenticator app and recovery codes stop working here, and they sign in with their password alone until they set it up again
        {twoStepRequired ? ' (which the console asks of them at once)' : ''}. We email {confirmReset.email}. Do it only when you know the request came from them. Confirm with your own password
        {selfTwoStep ? ' and a code' : ''}.
      </ConfirmWithProof>
    ) : null}
    {isOwner && confirmPolicyOff ? (
      <ConfirmWithProof title="Stop requiring two-step sign-in?" action="/console/team/two-step-policy" submit="Stop requiring it" cancel="Keep it required" email={viewer.email} withCode={selfTwoStep}>
        Members who have it keep it, but anyone may then turn theirs off, and people without it sign in with their password alone. We email the other owners. Confirm with your own
        password{selfTwoStep ? ' and a code' : ''}.
      </ConfirmWithProof>
    ) : null}
    <section class="card" aria-labelledby="members-h">
      <h2 id="members-h">People with access</h2>
      <DataTable columns={['Person', 'Role', 'Status', 'Two-step', 'Added']} action={isOwner ? 'Actions' : null}>
            {members.map((m) => {
              const self = m.id === selfId;
              const soleOwner = members.filter((x) => x.role === 'owner' && x.has_password).length <= 1;
              return (
                <tr>
                  <td data-label="Person" class="wide">
                    <strong>{m.name}</strong>
                    {self ? <span class="muted small"> (you)</span> : null}
                    <span class="muted small block" style="overflow-wrap: anywhere">
                      {m.email}
                    </span>
                  </td>
                  <td data-label="Role">
                    {isOwner && !self ? (
                      <form method="post" action={`/console/team/${m.id}/role`} class="inline-form">
                        <RoleSelect id={`role-${m.id}`} value={m.role} label={`Role of ${m.name}`} />
                        <button type="submit" class="button button-small">
                          Change<span class="visually-hidden"> the role of {m.name}</span>
                        </button>
                      </form>
                    ) : (
                      ROLE_LABELS[m.role]
                    )}
                  </td>
                  <td data-label="Status">
                    <MemberStatus m={m} now={now} timezone={viewer.timezone} />
                  </td>
                  <td data-label="Two-step">
                    {m.two_step ? (
                      <Badge status="approved" label="On" />
                    ) : m.has_password ? (
                      <>
                        <Badge status={twoStepRequired ? 'pending' : 'disabled'} label="Off" />
                        {twoStepRequired ? <span class="muted small block">held on the setup page from their next page</span> : null}
                      </>
                    ) : (
                      <span class="muted small">—</span>
                    )}
                  </td>
                  <td data-label="Added">{formatDate(m.created_at, viewer.timezone)}</td>
                  {isOwner ? (
                    <td data-label="Actions" class="wide">
                      {self ? (
                        <span class="muted small">{soleOwner ? 'You are the only owner: make someone else an owner before stepping down.' : 'Another owner can change your role.'}</span>
                      ) : (
                        <div class="actions">
                          {m.has_password ? null : (
                            <RowAction action={`/console/team/${m.id}/invite`} label="Email a new link" target={`to ${m.name}`} />
                          )}
                          {m.two_step ? <RowAction action={`/console/team/${m.id}/two-step/reset`} label="Reset two-step" target={`of ${m.name}`} /> : null}
                          <RowAction action={`/console/team/${m.id}/remove`} label="Remove" target={m.name} />
                        </div>
                      )}
                    </td>
                  ) : null}
                </tr>
              );
            })}
      </DataTable>
      <ul class="role-scopes muted small">
        {ROLES.map((r) => (
          <li>
            <strong>{ROLE_LABELS[r]}</strong>: {ROLE_SCOPES[r]}
          </li>
        ))}
      </ul>
    </section>
    <form method="post" action="/console/team/me/name" class="card stack team-add" aria-labelledby="me-h">
      <h2 id="me-h">Your name</h2>
      <p class="muted small">How {viewer.brandName}'s team and its activity log name you. Your email stays as it is.</p>
      <div class="field">
        <label for="me-name">Name</label>
        <input id="me-name" name="name" type="text" required maxlength={100} value={selfName ?? viewer.name} autocomplete="name" />
      </div>
      <div>
        <button type="submit" class="button">
          Save your name
        </button>
      </div>
    </form>
    {reviewDigest !== null ? (
      <form method="post" action="/console/team/me/notifications" class="card stack team-add" aria-labelledby="notify-h">
        <h2 id="notify-h">Your notifications</h2>
        <label class="checkbox">
          <input type="checkbox" name="reviewDigest" value="on" checked={reviewDigest} /> Email me when creators' drafts wait for review, or creators apply
        </label>
        <p class="muted small">At most once a day, with how many wait, so creators are not held up.</p>
        <label class="checkbox">
          <input type="checkbox" name="weeklyReport" value="on" checked={weeklyReport} /> Email me a weekly report of the network
        </label>
        <p class="muted small">Monday morning: last week's orders, revenue, commission and clicks against the week before, and the top creators. Sent to {viewer.email}.</p>
        <label class="checkbox">
          <input type="checkbox" name="messageMail" value="on" checked={messageMail} /> Email me when a creator's messages wait unread
        </label>
        <p class="muted small">At most once an hour, one email listing every creator whose messages wait and how many (never what they say), until someone on the team opens the conversation.</p>
        <div>
          <button type="submit" class="button">
            Save
          </button>
        </div>
      </form>
    ) : null}
    <section class="card stack team-add password-card" aria-labelledby="pw-h">
      <h2 id="pw-h">Your password</h2>
      <p class="muted small">
        {(viewer.otherBrands ?? 0) > 0 ? 'It changes in every brand where you sign in with the same password. ' : ''}Every other device signed in with it is signed out; this one stays.
      </p>
      <NewPasswordForm action="/console/team/me/password" email={viewer.email} hint="At least 10 characters." submit="Change password" current />
    </section>
    <section class="card stack team-add" aria-labelledby="two-step-h">
      <h2 id="two-step-h">Two-step sign-in</h2>
      <p class="muted small">
        {selfTwoStep
          ? 'On: signing in asks for a code from your authenticator app after your password.'
          : 'Off. With it on, signing in also asks for a 6-digit code from an app on your phone, so a leaked password is not enough to open the console.'}
      </p>
      <p>
        <a class="button" href="/console/team/me/two-step">
          {selfTwoStep ? 'Manage two-step sign-in' : 'Set up two-step sign-in'}
        </a>
      </p>
    </section>
    {isOwner ? (
      <form method="post" action="/console/team/two-step-policy" class="card stack team-add" aria-labelledby="policy-h">
        <h2 id="policy-h">Two-step sign-in for everyone</h2>
        <label class="checkbox">
          <input type="checkbox" name="required" value="on" checked={twoStepRequired} /> Require two-step sign-in for everyone on {viewer.brandName}'s team
        </label>
        <p class="muted small">
          {twoStepRequired
            ? withoutTwoStep > 0
              ? `${withoutTwoStep} ${withoutTwoStep === 1 ? 'person has' : 'people have'} not set it up yet: the console asks them to before anything else.`
              : 'Everyone who has joined has it on.'
            : 'Whoever has not set it up sees only the setup page from their next page on, signed in already or not, and is emailed now. You need it on yourself first.'}
        </p>
        <div>
          <button type="submit" class="button">
            Save
          </button>
        </div>
      </form>
    ) : null}
    {isOwner ? (
      <form method="post" action="/console/team" class="card stack team-add" aria-labelledby="add-h">
        <h2 id="add-h">Add someone</h2>
        <p class="muted small">We email them a link to choose a password; it works for a week. Nobody else sees the link, you included.</p>
        <div class="field">
          <label for="m-email">Email</label>
          <input id="m-email" name="email" type="email" required maxlength={254} autocomplete="off" value={values.email} />
        </div>
        <div class="field">
          <label for="m-name">Name</label>
          <input id="m-name" name="name" type="text" required maxlength={100} autocomplete="off" value={values.name} />
        </div>
        <div class="field">
          <RoleSelect id="m-role" value={values.role || 'manager'} label="Role" describedBy="m-role-hint" />
          <p id="m-role-hint" class="hint">
            Managers run campaigns day to day; owners also change settings and the team.
          </p>
        </div>
        <div>
          <button type="submit" class="button button-primary">
            Add and email the invitation
          </button>
        </div>
      </form>
    ) : (
      <p class="muted small">Only an owner can add people, change roles or remove anyone.</p>
    )}
  </ConsolePage>
  );
};
