/**
 * The playground shell: two tabs (delay equations, attacks), each panel mounted on first view. Panels are thin layers
 * over gradopt's library; heavy work (fits, attacks, robust-accuracy sweeps) runs in Web Workers.
 */
import { mountAttackPanel } from "./attack/panel.js";
import { mountDdePanel } from "./dde/panel.js";
import { byId } from "./ui/dom.js";

type TabName = "dde" | "attack";
const mounted = new Set<TabName>();
const mounters: Record<TabName, (host: HTMLElement) => void> = {
  dde: (host) => mountDdePanel(host),
  attack: (host) => mountAttackPanel(host, byId("backend-badge")),
};
const tabs: TabName[] = ["dde", "attack"];

function show(name: TabName, focus = false): void {
  for (const t of tabs) {
    const tab = byId<HTMLButtonElement>(`tab-${t}`);
    const panel = byId(`panel-${t}`);
    const on = t === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    panel.hidden = !on;
    if (on && focus) tab.focus();
  }
  if (!mounted.has(name)) {
    mounted.add(name);
    mounters[name](byId(`panel-${name}`));
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
}

for (const [i, t] of tabs.entries()) {
  const tab = byId<HTMLButtonElement>(`tab-${t}`);
  tab.addEventListener("click", () => show(t));
  tab.addEventListener("keydown", (ev) => {
    const step = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
    if (step !== 0) {
      ev.preventDefault();
      show(tabs[(i + step + tabs.length) % tabs.length]!, true);
    } else if (ev.key === "Home" || ev.key === "End") {
      ev.preventDefault();
      show(ev.key === "Home" ? tabs[0]! : tabs[tabs.length - 1]!, true);
    }
  });
}

show(location.hash === "#attack" ? "attack" : "dde");
