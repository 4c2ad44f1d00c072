// Small JSON wrapper over localStorage / sessionStorage that never throws (private browsing,
// storage disabled, quota exceeded): it then keeps values in memory for this page only.

function probe(kind) {
  try {
    const storage = window[kind];
    const key = "__imp_widget_probe__";
    storage.setItem(key, key);
    storage.removeItem(key);
    return storage;
  } catch (error) {
    return null;
  }
}

export class Store {
  constructor(prefix) {
    this.prefix = prefix;
    this.backends = { local: probe("localStorage"), session: probe("sessionStorage") };
    this.memory = { local: new Map(), session: new Map() };
  }

  key(name) {
    return `${this.prefix}:${name}`;
  }

  get(kind, name, fallback = null) {
    const backend = this.backends[kind];
    let raw = this.memory[kind].get(name);
    if (backend) {
      try {
        const stored = backend.getItem(this.key(name));
        if (stored !== null) {
          raw = stored;
        }
      } catch (error) {
        // fall back to memory
      }
    }
    if (raw === null || raw === undefined) {
      return fallback;
    }
    try {
      return JSON.parse(raw);
    } catch (error) {
      return fallback;
    }
  }

  set(kind, name, value) {
    const raw = JSON.stringify(value);
    this.memory[kind].set(name, raw);
    const backend = this.backends[kind];
    if (backend) {
      try {
        backend.setItem(this.key(name), raw);
      } catch (error) {
        // quota exceeded: the memory copy still works for this page
      }
    }
  }
}
