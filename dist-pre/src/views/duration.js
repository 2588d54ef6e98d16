// kubectl's AGE column: k8s.io/apimachinery/pkg/util/duration.HumanDuration.
export function humanDuration(totalSeconds) {
    const seconds = Math.trunc(totalSeconds);
    if (seconds < -1)
        return "<invalid>";
    if (seconds < 0)
        return "0s";
    if (seconds < 60 * 2)
        return `${seconds}s`;
    const minutes = Math.trunc(seconds / 60);
    if (minutes < 10) {
        const s = seconds % 60;
        return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
    }
    if (minutes < 60 * 3)
        return `${minutes}m`;
    const hours = Math.trunc(seconds / 3600);
    if (hours < 8) {
        const m = minutes % 60;
        return m === 0 ? `${hours}h` : `${hours}h${m}m`;
    }
    if (hours < 48)
        return `${hours}h`;
    if (hours < 24 * 8) {
        const h = hours % 24;
        return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
    }
    if (hours < 24 * 365 * 2)
        return `${Math.trunc(hours / 24)}d`;
    if (hours < 24 * 365 * 8) {
        const dy = Math.trunc(hours / 24) % 365;
        const y = Math.trunc(hours / 24 / 365);
        return dy === 0 ? `${y}y` : `${y}y${dy}d`;
    }
    return `${Math.trunc(hours / 24 / 365)}y`;
}
//# sourceMappingURL=duration.js.map