/**
 * The real SDK rejects database calls with an Error carrying `errCode` and `errMsg`; code that logs or
 * branches on those fields behaves the same against the stand-in.
 */
export class DatabaseError extends Error {
  constructor(
    readonly errCode: number,
    readonly errMsg: string,
  ) {
    super(`errCode: ${errCode} | errMsg: ${errMsg}`);
    this.name = 'DatabaseError';
  }
}

/** Codes the cloud database uses (-1 generic failure, -501xxx invalid parameters, -502xxx database errors). */
export const ErrCode = {
  FAIL: -1,
  INVALID_PARAM: -501001,
  DUPLICATE_KEY: -502001,
} as const;

export const invalidParam = (api: string, detail: string): DatabaseError =>
  new DatabaseError(ErrCode.INVALID_PARAM, `${api}:fail invalid parameter: ${detail}`);

export const duplicateKey = (api: string, coll: string, id: unknown): DatabaseError =>
  new DatabaseError(ErrCode.DUPLICATE_KEY, `${api}:fail E11000 duplicate key error: _id ${JSON.stringify(id)} already exists in ${coll}`);

/** Thrown for features of the real database this stand-in does not implement, so nothing is silently ignored. */
export const unsupported = (api: string, what: string): DatabaseError =>
  new DatabaseError(ErrCode.INVALID_PARAM, `${api}:fail not supported by the local wx-server-sdk stand-in: ${what}`);
