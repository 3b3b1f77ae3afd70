/* Keyboard and screen-reader behaviour the components do not bring themselves (issue 15).
 *
 * - Tabs built by layouts/controls.py `tabs()` (WAI-ARIA tabs pattern): one tab in the Tab order (the
 *   selected one), arrow keys, Home and End move between tabs and select them as a click does (so a
 *   panel drawn on its first opening, e.g. the overview's charts, is drawn), Enter and Space select.
 * - An open dialog keeps the focus: Tab on its last control goes to its first, Shift+Tab on its first to
 *   its last (Bootstrap's modal only pulls back focus that lands on the page behind, not focus leaving
 *   the document).
 * - Third-party markup made accessible as it appears (a MutationObserver):
 *   dash-bootstrap-components' close buttons say "Close" (no prop changes it): they say "Đóng";
 *   Dash 4's Dropdown puts keyboard focus on an input marked aria-hidden: it is exposed as the combobox
 *   it is, named by the field's label and the chosen value;
 *   dcc.Upload's file input has no name: it takes the text of its drop zone.
 * No data is read or sent here.
 */
(function () {
    'use strict';

    function select(tab) {
        var list = tab.closest('[role=tablist]');
        list.querySelectorAll('[role=tab]').forEach(function (other) {
            var chosen = other === tab;
            other.setAttribute('aria-selected', chosen ? 'true' : 'false');
            other.tabIndex = chosen ? 0 : -1;
            other.classList.toggle('active', chosen);
            var panel = document.getElementById(other.getAttribute('aria-controls'));
            if (panel) { panel.hidden = !chosen; }
        });
        window.dispatchEvent(new Event('resize'));  // grids and charts in the panel measure their width
    }

    document.addEventListener('click', function (event) {
        var tab = event.target.closest('.cds-tabs [role=tab]');
        if (tab) { select(tab); }
    });

    document.addEventListener('keydown', function (event) {
        var tab = event.target.closest && event.target.closest('.cds-tabs [role=tab]');
        if (!tab) { return; }
        var tabs = Array.prototype.slice.call(tab.closest('[role=tablist]').querySelectorAll('[role=tab]'));
        var index = tabs.indexOf(tab);
        var next = {ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1,
                    Home: 0, End: tabs.length - 1}[event.key];
        if (next === undefined) { return; }
        event.preventDefault();
        var chosen = tabs[(next + tabs.length) % tabs.length];
        chosen.click();  // selects it (the listener above) and counts in the button's n_clicks
        chosen.focus();
    });

    var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), '
        + 'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

    document.addEventListener('keydown', function (event) {
        if (event.key !== 'Tab') { return; }
        var dialogs = document.querySelectorAll('.modal.show');
        var dialog = dialogs[dialogs.length - 1];
        if (!dialog) { return; }
        var controls = Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (element) {
            return element.offsetParent !== null || element === document.activeElement;
        });
        if (!controls.length) { return; }
        var first = controls[0], last = controls[controls.length - 1];
        var active = document.activeElement;
        if (event.shiftKey && (active === first || active === dialog || !dialog.contains(active))) {
            event.preventDefault();
            last.focus();
        } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
            event.preventDefault();
            first.focus();
        }
    });

    function nameDropdown(input) {
        var button = input.nextElementSibling;
        if (!button || !button.classList.contains('dash-dropdown')) { return; }
        input.removeAttribute('aria-hidden');
        input.setAttribute('role', 'combobox');
        input.setAttribute('aria-haspopup', 'listbox');
        input.setAttribute('aria-expanded', button.getAttribute('aria-expanded') || 'false');
        var ids = [];
        var label = button.id && document.querySelector('label[for="' + CSS.escape(button.id) + '"]');
        if (label) {
            if (!label.id) { label.id = button.id + '-label'; }
            ids.push(label.id);
        }
        (button.getAttribute('aria-labelledby') || '').split(/\s+/).forEach(function (id) {
            if (id && document.getElementById(id)) { ids.push(id); }
        });
        if (ids.length) { input.setAttribute('aria-labelledby', ids.join(' ')); }
    }

    function repair(root) {
        root.querySelectorAll('.btn-close[aria-label="Close"]').forEach(function (button) {
            button.setAttribute('aria-label', 'Đóng');
            button.title = 'Đóng';
        });
        root.querySelectorAll('.dash-dropdown-focus-target').forEach(nameDropdown);
        root.querySelectorAll('input[type=file]:not([aria-label])').forEach(function (input) {
            var zone = input.parentElement;
            input.setAttribute('aria-label', (zone && zone.innerText.trim()) || 'Chọn tệp');
        });
    }

    var scheduled = false;

    function start() {
        repair(document);
        new MutationObserver(function (mutations) {
            var again = mutations.some(function (mutation) {
                return mutation.type === 'childList' ? mutation.addedNodes.length > 0
                    : mutation.target.matches('.dash-dropdown, .btn-close[aria-label="Close"]');
            });
            if (again && !scheduled) {  // once per frame, however many changes a render makes
                scheduled = true;
                requestAnimationFrame(function () { scheduled = false; repair(document); });
            }
        }).observe(document.body, {childList: true, subtree: true, attributes: true,
                                   attributeFilter: ['aria-expanded', 'aria-label']});
    }

    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', start);
    } else {
        start();
    }
})();
