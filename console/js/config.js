// config.json is written beside the console where it is served (the embedded stack's gateway, or
// the CDK deployment): the API's base URL and facts derived from Waybill's code, such as the
// decimals of currencies whose minor unit is not a hundredth.

let loaded = { api: "", decimals: {} };

export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  loaded = await response.json();
}

export function config() {
  return loaded;
}
