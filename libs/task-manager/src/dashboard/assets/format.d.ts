/** The header's badge of the coordination backend, from `GET /health` (types for the tests only). */
export declare function backendBadge(health: { driver?: string; redis_connected?: boolean }): {
  kind: 'ok' | 'bad' | 'neutral';
  text: string;
};
