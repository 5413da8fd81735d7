import { describeSandboxLookups } from './sandbox-lookups';

describeSandboxLookups('v3');
