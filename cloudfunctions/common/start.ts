import { loadConfig } from './config';
import type { Database } from './db/types';
import { AppError } from './errors';
import type { OrderContext } from './orders/context';
import { OrderRepository } from './orders/repository';
import { createProviders } from './payment/providers';
import type { OpenApi } from './shipping/openapi';
import { ShippingService } from './shipping/service';

/**
 * Builds a function instance's context from the environment, once, at cold start. A configuration
 * error is logged with its details (the variable, the file, what is wrong with it) and returned, so
 * every call answers CONFIG_ERROR, with a generic message, instead of the function failing to load.
 */
export function startContext(db: Database, env: Record<string, string | undefined> = process.env, baseDir?: string, openapi?: OpenApi): OrderContext | AppError {
  try {
    const config = loadConfig(env, baseDir);
    // Providers are built (and their code loaded) on first use, not here.
    const shipping = openapi && new ShippingService(openapi);
    return { db, repo: new OrderRepository(db), config, providers: createProviders(config), shipping, now: () => Date.now() };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    console.error(`[start] ${err.message}`);
    return err;
  }
}
