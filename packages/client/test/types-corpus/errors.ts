// The `errors` namespace: constructors, fields and narrowing with instanceof, as applications catch them.
import { errors, types, Client } from 'cassandra-driver';

const arg = new errors.ArgumentError('bad');
const authE = new errors.AuthenticationError('denied');
const busy = new errors.BusyConnectionError('10.0.0.1:9042', 2048, 1);
const vint = new errors.VIntOutOfRangeException(types.Long.fromNumber(1));
const internal = new errors.DriverInternalError('oops');
const nhae = new errors.NoHostAvailableError({ '10.0.0.1:9042': new Error('refused') });
const nhae2 = new errors.NoHostAvailableError({}, 'none');
const ns = new errors.NotSupportedError('no');
const timeout = new errors.OperationTimedOutError('late');
const timeout2 = new errors.OperationTimedOutError('late', '10.0.0.1:9042');
const resp = new errors.ResponseError(types.responseErrorCodes.invalid, 'keyspace does not exist');
const asDriver: errors.DriverError[] = [arg, authE, busy, vint, internal, nhae, nhae2, ns, timeout, timeout2, resp];
const infos: string[] = asDriver.map((e) => e.info + e.message + e.name + String(e.stack));
const timeoutHost: string | undefined = timeout2.host;
const respCode: number = resp.code;
const inner: any = nhae.innerErrors;

async function handle(client: Client): Promise<void> {
  try {
    await client.execute('SELECT 1');
  } catch (err) {
    if (err instanceof errors.ResponseError) {
      if (err.code === types.responseErrorCodes.syntaxError) console.log(err.message, err.info);
      if (err.code === types.responseErrorCodes.unavailableException) console.log('unavailable');
    } else if (err instanceof errors.NoHostAvailableError) {
      for (const address of Object.keys(err.innerErrors)) console.log(address, err.innerErrors[address].message);
    } else if (err instanceof errors.OperationTimedOutError) {
      console.log(err.host);
    } else if (err instanceof errors.DriverError) {
      console.log(err.info);
    } else if (err instanceof errors.ArgumentError || err instanceof errors.AuthenticationError || err instanceof errors.NotSupportedError) {
      console.log(err.message);
    }
  }
}
function isDriverError(e: unknown): e is errors.DriverError {
  return e instanceof errors.DriverError;
}
const asError: Error = resp;
class MyError extends errors.DriverError {
  constructor(message: string) {
    super(message);
  }
}
class MyError2 extends errors.DriverError {
  constructor(message: string) {
    super(message, MyError2);
  }
}
export { infos, timeoutHost, respCode, inner, handle, isDriverError, asError, MyError, MyError2 };
