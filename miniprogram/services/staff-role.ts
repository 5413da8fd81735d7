/**
 * Whether this user is merchant staff, for the entry to the merchant pages on 我的订单. In the main
 * package so that the merchant store (its subpackage) is not; the server checks every staff call anyway.
 */
import { callMerchant, staffErrorMessage } from './merchant-api';

export class StaffRole {
  isMerchant: boolean | null = null;
  private pending: Promise<boolean> | null = null;

  /** Asks whoami once per launch; a failure (function not deployed, offline) shows no merchant pages and is asked again next time. */
  check(): Promise<boolean> {
    if (this.isMerchant !== null) return Promise.resolve(this.isMerchant);
    if (this.pending) return this.pending;
    const check = callMerchant<'whoami'>({ action: 'whoami' }).then(
      ({ merchant }) => {
        this.isMerchant = merchant === true;
        return this.isMerchant;
      },
      (err: unknown) => {
        console.warn('[merchant] whoami failed:', staffErrorMessage(err));
        return false;
      },
    );
    this.pending = check;
    void check.then(() => {
      this.pending = null;
    });
    return check;
  }

  /** Forgets the answer (another user signs in, in tests). */
  reset(): void {
    this.isMerchant = null;
    this.pending = null;
  }
}

export const staffRole = new StaffRole();
