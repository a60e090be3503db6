'use strict';
/**
 * Artillery processor of refresh-chains.yml. Each virtual user owns one session (chain): it presents only the
 * newest token it was handed and stops at the first answer it did not get, so it never reuses a token by
 * accident. It only counts (Artillery sums counters over every worker, also on Lambda or Fargate);
 * scripts/loadtest/artillery/audit.ts judges the counters against the families in Redis.
 * CommonJS and dependency-free, so Artillery's distributed runners load it as it is.
 */

/** Extra wait past the grace window before a replay, so scheduling jitter never makes it "inside". */
const REPLAY_MARGIN_MS = 300;

const count = (events, name, n = 1) => events.emit('counter', `audit.${name}`, n);
const bodyOf = (response) => {
  if (typeof response.body !== 'string') return response.body ?? null;
  try {
    return JSON.parse(response.body);
  } catch {
    return null;
  }
};
/** A refusal that says something about the token (as opposed to overload, a rate limit or a server error). */
const isRefusal = (status) => status >= 400 && status < 500 && status !== 429 && status !== 408;

function begin(kind, context, next) {
  context.vars.kind = kind;
  // The User-Agent is stored with the session in Redis: this is how the audit finds this run's families.
  context.vars.auditTag = `artillery-audit/${context.vars.runId}/${kind}`;
  context.vars.alive = false;
  context.vars.awaiting = false;
  context.vars.uncertain = false;
  context.vars.rotations = 0;
  next();
}

/** Scenario start of an honest user. */
function beginChain(context, events, next) {
  begin('honest', context, next);
}

/** Scenario start of a thief. */
function beginTheft(context, events, next) {
  begin('thief', context, next);
}

/** After sign-in: the chain starts with its first refresh token. */
function startChain(req, response, context, events, next) {
  const body = bodyOf(response);
  if (response.statusCode !== 200 || typeof body?.refresh_token !== 'string') {
    count(events, 'signin_failed');
    return next(new Error(`sign-in failed: HTTP ${response.statusCode}`));
  }
  context.vars.token = body.refresh_token;
  context.vars.left = Number(context.vars.refreshes);
  context.vars.alive = true;
  count(events, `chains_started.${context.vars.kind}`);
  next();
}

/** Every refresh of the chain presents the newest token; `awaiting` stays set until its answer is seen. */
function presentNewest(req, context, events, next) {
  // A chain whose last answer was lost or refused stops here instead of presenting that token again.
  if (!context.vars.alive) return next(new Error('chain stopped'));
  req.json = { refresh_token: context.vars.token };
  context.vars.awaiting = true;
  next();
}

/** Takes the successor from a refresh answer; stops the chain (without a verdict) on overload or errors. */
function rotateChain(req, response, context, events, next) {
  context.vars.awaiting = false;
  context.vars.left -= 1;
  const presented = context.vars.token;
  const body = bodyOf(response);
  if (response.statusCode === 200) {
    const token = body?.refresh_token;
    if (typeof token !== 'string' || token === presented) {
      count(events, 'bad_success_bodies');
      context.vars.alive = false;
      return next();
    }
    // The thief keeps the first token: after two rotations it is older than the predecessor, so no lost
    // answer can explain it (a replayed predecessor of an unused token is recovered: docs/security.md).
    if (context.vars.kind === 'thief' && context.vars.rotations === 0) context.vars.stolen = presented;
    context.vars.token = token;
    context.vars.rotations += 1;
    count(events, 'rotations');
    return next();
  }
  context.vars.alive = false;
  if (isRefusal(response.statusCode)) {
    // The client presented its newest token in time: a refusal is the violation the audit exists for.
    count(events, 'honest_refused');
    events.emit('counter', `audit.honest_refused.${body?.error?.code ?? response.statusCode}`, 1);
  } else {
    // 429, 5xx: no verdict, and a 5xx may hide a rotation the client never saw.
    count(events, 'inconclusive');
    context.vars.uncertain = true;
  }
  next();
}

/** Loop condition of an honest chain. */
function chainGoesOn(context, next) {
  next(context.vars.alive && !context.vars.awaiting && context.vars.left > 0);
}

/** Scenario end of an honest chain: complete (every rotation seen) unless an answer was lost or inconclusive. */
function endChain(context, events, next) {
  if (!context.vars.awaiting && !context.vars.uncertain) count(events, 'chains_completed.honest');
  next();
}

/** The thief waits until the stolen token is past the grace window; aborts unless the victim rotated twice. */
function waitPastGrace(context, events, next) {
  if (!context.vars.alive || !context.vars.stolen || context.vars.rotations < 2) {
    return next(new Error('theft skipped: a rotation of the victim failed'));
  }
  setTimeout(next, Number(context.vars.graceSeconds) * 1000 + REPLAY_MARGIN_MS);
}

function presentStolen(req, context, events, next) {
  req.json = { refresh_token: context.vars.stolen };
  next();
}

/** A stale replay must be refused. */
function judgeReplay(req, response, context, events, next) {
  count(events, 'replays');
  if (response.statusCode === 200) count(events, 'stale_replays_accepted');
  else if (isRefusal(response.statusCode)) count(events, 'replays_refused');
  else count(events, 'inconclusive');
  next();
}

/** After a refused replay the victim's newest token must be refused too (the family is revoked). */
function judgeVictim(req, response, context, events, next) {
  context.vars.awaiting = false;
  if (response.statusCode === 200) count(events, 'victims_still_work');
  else if (isRefusal(response.statusCode)) count(events, 'victims_refused');
  else count(events, 'inconclusive');
  count(events, 'chains_completed.thief');
  next();
}

module.exports = {
  beginChain,
  beginTheft,
  startChain,
  presentNewest,
  rotateChain,
  chainGoesOn,
  endChain,
  waitPastGrace,
  presentStolen,
  judgeReplay,
  judgeVictim,
};
