// Preloaded (node --expose-gc --require) into an authd started by the soak test, never in production:
// on request over the IPC channel, collect garbage fully and answer the heap and RSS sizes. The
// channel is unref'd so it does not keep a stopping server alive.
process.on("message", (message) => {
  if (message !== "heap" || typeof global.gc !== "function") return;
  global.gc();
  global.gc();
  const { heapUsed, rss } = process.memoryUsage();
  process.send?.({ heapUsed, rss });
});
process.channel?.unref();
