// The CommonJS import forms TypeScript users write (`import x = require(...)`, aliases from the namespaces),
// and the names cassandra-driver declares for DSE products (kept: not in shardcql).
import cassandra = require('cassandra-driver');
import Client = cassandra.Client;
import types = cassandra.types;
import Long = cassandra.types.Long;
import ResultSet = cassandra.types.ResultSet;
import Row = cassandra.types.Row;
import consistency = cassandra.types.consistencies;
import ModelMapper = cassandra.mapping.ModelMapper;
import TableMetadata = cassandra.metadata.TableMetadata;
import ClientMetrics = cassandra.metrics.ClientMetrics;
import RequestTracker = cassandra.tracker.RequestTracker;
import LoadBalancingPolicy = cassandra.policies.loadBalancing.LoadBalancingPolicy;
import ResponseError = cassandra.errors.ResponseError;
import ClientOptions = cassandra.ClientOptions;
import QueryOptions = cassandra.QueryOptions;
import ExecutionOptions = cassandra.ExecutionOptions;
import DseClientOptions = cassandra.DseClientOptions;
import GraphQueryOptions = cassandra.GraphQueryOptions;
import GraphOptions = cassandra.GraphOptions;
import ValueCallback = cassandra.ValueCallback;
import EmptyCallback = cassandra.EmptyCallback;
import ArrayOrObject = cassandra.ArrayOrObject;
import Host = cassandra.Host;
import HostMap = cassandra.HostMap;
import Token = cassandra.token.Token;
import TokenRange = cassandra.token.TokenRange;
import Metadata = cassandra.metadata.Metadata;
import ColumnInfo = cassandra.metadata.ColumnInfo;
import DataTypeInfo = cassandra.metadata.DataTypeInfo;
import MaterializedView = cassandra.metadata.MaterializedView;
import QueryTrace = cassandra.metadata.QueryTrace;
import Udt = cassandra.metadata.Udt;
import ClientState = cassandra.metadata.ClientState;
import SchemaFunction = cassandra.metadata.SchemaFunction;
import Aggregate = cassandra.metadata.Aggregate;
import MappingOptions = cassandra.mapping.MappingOptions;
import ModelOptions = cassandra.mapping.ModelOptions;
import MappingExecutionOptions = cassandra.mapping.MappingExecutionOptions;
import FindDocInfo = cassandra.mapping.FindDocInfo;
import UpdateDocInfo = cassandra.mapping.UpdateDocInfo;
import MappingResult = cassandra.mapping.Result;
import TableMappings = cassandra.mapping.TableMappings;
import ConcurrentOptions = cassandra.concurrent.Options;
import ResultSetGroup = cassandra.concurrent.ResultSetGroup;
import Authenticator = cassandra.auth.Authenticator;
import AuthProvider = cassandra.auth.AuthProvider;
import AddressTranslator = cassandra.policies.addressResolution.AddressTranslator;
import ReconnectionPolicy = cassandra.policies.reconnection.ReconnectionPolicy;
import RetryPolicy = cassandra.policies.retry.RetryPolicy;
import DecisionInfo = cassandra.policies.retry.DecisionInfo;
import OperationInfo = cassandra.policies.retry.OperationInfo;
import SpeculativeExecutionPolicy = cassandra.policies.speculativeExecution.SpeculativeExecutionPolicy;
import TimestampGenerator = cassandra.policies.timestampGeneration.TimestampGenerator;
import DriverError = cassandra.errors.DriverError;
import Uuid = cassandra.types.Uuid;
import ResultStream = cassandra.types.ResultStream;
import distance = cassandra.types.distance;
import dataTypes = cassandra.types.dataTypes;

const client: Client = new cassandra.Client({ contactPoints: ['h'], localDataCenter: 'dc1', queryOptions: { consistency: consistency.localQuorum } });
async function run(): Promise<Row[]> {
  const rs: ResultSet = await client.execute('SELECT * FROM t', [Long.fromNumber(1)], { prepare: true, consistency: types.consistencies.one });
  return rs.rows;
}
function name(level: consistency): string {
  return cassandra.types.consistencies[level];
}
type Mappers = { users: ModelMapper<{ id: types.Uuid }> };
type Shapes = [TableMetadata, ClientMetrics, RequestTracker, LoadBalancingPolicy];
type Options = [ClientOptions, QueryOptions, ExecutionOptions, DseClientOptions, GraphQueryOptions, GraphOptions, ArrayOrObject, ConcurrentOptions];
type Callbacks = [ValueCallback<ResultSet>, EmptyCallback];
type Schema = [Host, HostMap, Token, TokenRange, Metadata, ColumnInfo, DataTypeInfo, MaterializedView, QueryTrace, Udt, ClientState, SchemaFunction, Aggregate];
type Mapping = [MappingOptions, ModelOptions, MappingExecutionOptions, FindDocInfo, UpdateDocInfo, MappingResult, TableMappings, ResultSetGroup];
type Policies = [Authenticator, AuthProvider, AddressTranslator, ReconnectionPolicy, RetryPolicy, DecisionInfo, OperationInfo, SpeculativeExecutionPolicy, TimestampGenerator];
type Values = [DriverError, Uuid, ResultStream, distance, dataTypes];
const options: ClientOptions = { contactPoints: ['h'], localDataCenter: 'dc1' };
const query: QueryOptions = { prepare: true, consistency: distance.local };
const code: dataTypes = cassandra.types.dataTypes.varchar;
const done: EmptyCallback = (err) => console.log(err);
const onRows: ValueCallback<ResultSet> = (err, rs) => console.log(err, rs.rows.length);
function isResponseError(e: unknown): e is ResponseError {
  return e instanceof cassandra.errors.ResponseError;
}
const gss = new cassandra.auth.DseGssapiAuthProvider({ service: 'dse' }); // kept: DSE Kerberos authentication (auth.DseGssapiAuthProvider) is not provided: Apache Cassandra and ScyllaDB do not ship it
client.executeGraph('g.V()', (err, rs) => console.log(err, rs)); // kept: DSE Graph (executeGraph, datastax.graph) is not provided
const point = new cassandra.geometry.Point(1, 2); // kept: DSE geospatial types (geometry) are not provided
export { run, name, isResponseError, gss, point };
export type { Mappers, Shapes, Options, Callbacks, Schema, Mapping, Policies, Values };
export { options, query, code, done, onRows };
