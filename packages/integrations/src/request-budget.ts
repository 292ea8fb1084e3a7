/**
 * How many requests a key may still make today. VAN charges per request above 1,000 a day, so
 * the budget is checked before every attempt, retries included: each one is billed.
 * An interface so a service can back it with a shared store; the in-memory one counts for this
 * process only.
 */
export interface RequestBudget {
  /** Takes one request from today's budget; false when it is spent. */
  tryConsume(): boolean | Promise<boolean>;
  /** What is left today, for reports and dry runs. */
  remaining(): number | Promise<number>;
}

const easternDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'America/New_York',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** A daily counter that starts again at Eastern midnight, the campaigns' day. */
export function createDailyRequestBudget(
  dailyLimit: number,
  now: () => Date = () => new Date(),
): RequestBudget {
  let day = easternDay.format(now());
  let used = 0;
  const rollOver = (): void => {
    const today = easternDay.format(now());
    if (today !== day) {
      day = today;
      used = 0;
    }
  };
  return {
    tryConsume(): boolean {
      rollOver();
      if (used >= dailyLimit) return false;
      used += 1;
      return true;
    },
    remaining(): number {
      rollOver();
      return Math.max(0, dailyLimit - used);
    },
  };
}

/** A budget that counts what this client took from it, for a run's "VAN requests used". */
export function countingBudget(budget: RequestBudget): { budget: RequestBudget; used(): number } {
  let used = 0;
  return {
    budget: {
      tryConsume: async () => {
        const ok = await budget.tryConsume();
        if (ok) used += 1;
        return ok;
      },
      remaining: () => budget.remaining(),
    },
    used: () => used,
  };
}
